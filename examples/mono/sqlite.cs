// A Mono.Data.Sqlite program: Debian's Mono.Data.Sqlite P/Invokes
// "sqlite3", which Mono's config maps to libsqlite3.so.0. Bundled with
// mcc mkbundle --libc glibc, the image carries that library.
using System;
using Mono.Data.Sqlite;

class Sqlite
{
	static void Main(string[] args)
	{
		string db = args.Length > 0 ? args[0] : ":memory:";
		using (var c = new SqliteConnection("Data Source=" + db))
		{
			c.Open();
			Exec(c, "CREATE TABLE pets (name TEXT, legs INTEGER)");
			Exec(c, "INSERT INTO pets VALUES ('cat', 4), ('bird', 2), ('snake', 0)");
			using (var cmd = new SqliteCommand("SELECT sqlite_version(), COUNT(*), SUM(legs) FROM pets", c))
			using (var r = cmd.ExecuteReader())
			{
				r.Read();
				Console.WriteLine("sqlite " + r.GetString(0) + ": " + r.GetInt64(1) + " pets, " + r.GetInt64(2) + " legs");
			}
		}
	}

	static void Exec(SqliteConnection c, string sql)
	{
		using (var cmd = new SqliteCommand(sql, c))
			cmd.ExecuteNonQuery();
	}
}
