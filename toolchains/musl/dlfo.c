/*
 * _dl_find_object for musl, shipped in every mcc sysroot's libc.a.
 *
 * Why: Debian's gcc 12 builds libgcc_eh against glibc 2.35+, so its unwinder
 * calls _dl_find_object to find a PC's unwind tables. musl has no such
 * function, and code that unwinds (C++ exceptions, Mono, _Unwind_Backtrace)
 * would not link. musl does have dl_iterate_phdr, also in static binaries,
 * which is all this needs.
 */
#include <link.h>
#include <stdint.h>

struct dl_find_object {
	unsigned long long dlfo_flags;
	void *dlfo_map_start;
	void *dlfo_map_end;
	struct link_map *dlfo_link_map;
	void *dlfo_eh_frame;
#if defined(__i386__)
	void *dlfo_eh_dbase;
	unsigned int __dlfo_eh_dbase_pad;
#endif
#if defined(__arm__)
	int dlfo_eh_count;
	unsigned int __dlfo_eh_count_pad;
#endif
	unsigned long long __dlfo_reserved[7];
};

struct query {
	uintptr_t pc;
	struct dl_find_object *out;
	int found;
};

static int visit(struct dl_phdr_info *info, size_t size, void *data)
{
	struct query *q = data;
	uintptr_t lo = UINTPTR_MAX, hi = 0;
	void *eh = 0;
	int hit = 0, count = 0;
	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *p = &info->dlpi_phdr[i];
		uintptr_t start = info->dlpi_addr + p->p_vaddr;
		if (p->p_type == PT_LOAD) {
			if (q->pc >= start && q->pc < start + p->p_memsz)
				hit = 1;
			if (start < lo)
				lo = start;
			if (start + p->p_memsz > hi)
				hi = start + p->p_memsz;
#if defined(__arm__)
		} else if (p->p_type == PT_ARM_EXIDX) {
			eh = (void *)start;
			count = p->p_memsz / 8;
#else
		} else if (p->p_type == PT_GNU_EH_FRAME) {
			eh = (void *)start;
#endif
		}
	}
	if (!hit)
		return 0;
	q->out->dlfo_flags = 0;
	q->out->dlfo_map_start = (void *)lo;
	q->out->dlfo_map_end = (void *)hi;
	q->out->dlfo_link_map = 0;
	q->out->dlfo_eh_frame = eh;
#if defined(__i386__)
	q->out->dlfo_eh_dbase = 0; /* datarel encodings are not used by static i386 code we build */
#endif
#if defined(__arm__)
	q->out->dlfo_eh_count = count;
#endif
	(void)count;
	q->found = 1;
	return 1;
}

int _dl_find_object(void *pc, struct dl_find_object *result)
{
	struct query q = { (uintptr_t)pc, result, 0 };
	dl_iterate_phdr(visit, &q);
	return q.found ? 0 : -1;
}
