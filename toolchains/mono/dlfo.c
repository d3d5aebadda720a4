/*
 * _dl_find_object for musl.
 *
 * Debian's gcc 12 builds libgcc_eh against glibc 2.35+, whose unwinder asks
 * _dl_find_object for the PT_GNU_EH_FRAME of the object holding a PC. musl
 * has no such function, so static programs that unwind (Mono, C++) fail to
 * link. This answers the same question with dl_iterate_phdr, which musl
 * supports in static executables.
 */
#define _GNU_SOURCE
#include <link.h>
#include <stdint.h>
#include <string.h>

struct dl_find_object {
	unsigned long long dlfo_flags;
	void *dlfo_map_start;
	void *dlfo_map_end;
	struct link_map *dlfo_link_map;
	void *dlfo_eh_frame;
	unsigned long long __dlfo_reserved[7];
};

struct dlfo_query {
	uintptr_t pc;
	struct dl_find_object *out;
};

static int dlfo_visit(struct dl_phdr_info *info, size_t size, void *data)
{
	struct dlfo_query *q = data;
	uintptr_t lo = UINTPTR_MAX, hi = 0, eh = 0;
	int hit = 0;
	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t start = info->dlpi_addr + ph->p_vaddr;
		if (ph->p_type == PT_LOAD) {
			uintptr_t end = start + ph->p_memsz;
			if (start < lo)
				lo = start;
			if (end > hi)
				hi = end;
			if (q->pc >= start && q->pc < end)
				hit = 1;
		} else if (ph->p_type == PT_GNU_EH_FRAME) {
			eh = start;
		}
	}
	if (!hit)
		return 0;
	memset(q->out, 0, sizeof *q->out);
	q->out->dlfo_map_start = (void *)lo;
	q->out->dlfo_map_end = (void *)hi;
	q->out->dlfo_eh_frame = (void *)eh;
	return 1;
}

int _dl_find_object(void *pc, struct dl_find_object *result)
{
	struct dlfo_query q = { (uintptr_t)pc, result };
	if (dl_iterate_phdr(dlfo_visit, &q) && result->dlfo_eh_frame)
		return 0;
	return -1;
}
