// features: exercises the class libraries a bundle must carry and the
// native code the static runtime must answer for: LINQ, Regex, XML,
// data-contract JSON, tasks, SHA256, Deflate (MonoPosixHelper's zlib),
// exceptions and file IO. Prints one "ok NAME" line per check.
using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Runtime.Serialization;
using System.Runtime.Serialization.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using System.Xml;
using System.Xml.Linq;

[DataContract]
public class Point
{
	[DataMember] public int X;
	[DataMember] public string Name;
}

class Features
{
	static void Check(string name, bool ok)
	{
		Console.WriteLine((ok ? "ok " : "FAIL ") + name);
		if (!ok)
			Environment.Exit(1);
	}

	static int Main()
	{
		var squares = Enumerable.Range(1, 10).Where(i => i % 2 == 0).Select(i => i * i).ToList();
		Check("linq", squares.Sum() == 220);

		var m = Regex.Match("mcc-6.8.0.105", @"(\d+)\.(\d+)\.(\d+)");
		Check("regex", m.Success && m.Groups[2].Value == "8");

		var doc = XDocument.Parse("<a><b n='1'/><b n='2'/></a>");
		var xd = new XmlDocument();
		xd.LoadXml("<r><v>42</v></r>");
		Check("xml", doc.Root.Elements("b").Sum(e => (int)e.Attribute("n")) == 3 && xd.SelectSingleNode("/r/v").InnerText == "42");

		var ser = new DataContractJsonSerializer(typeof(Point));
		var ms = new MemoryStream();
		ser.WriteObject(ms, new Point { X = 7, Name = "seven" });
		string json = Encoding.UTF8.GetString(ms.ToArray());
		ms.Position = 0;
		var back = (Point)ser.ReadObject(ms);
		Check("json " + json, back.X == 7 && back.Name == "seven");

		var tasks = Enumerable.Range(0, 8).Select(i => Task.Run(() => i * 2)).ToArray();
		Task.WaitAll(tasks);
		Check("tasks", tasks.Sum(t => t.Result) == 56);

		using (var sha = SHA256.Create()) {
			string hex = BitConverter.ToString(sha.ComputeHash(Encoding.ASCII.GetBytes("abc"))).Replace("-", "").ToLowerInvariant();
			Check("sha256", hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
		}

		byte[] plain = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("deflate me ", 200)));
		var packed = new MemoryStream();
		using (var z = new DeflateStream(packed, CompressionMode.Compress, true))
			z.Write(plain, 0, plain.Length);
		long packedLength = packed.Length;
		packed.Position = 0;
		var unpacked = new MemoryStream();
		using (var z = new DeflateStream(packed, CompressionMode.Decompress))
			z.CopyTo(unpacked);
		Check("deflate " + plain.Length + "->" + packedLength, packedLength < plain.Length / 10 && unpacked.ToArray().SequenceEqual(plain));

		bool caught = false;
		try {
			try {
				throw new InvalidOperationException("inner");
			} catch (InvalidOperationException e) {
				throw new ApplicationException("outer", e);
			}
		} catch (ApplicationException e) {
			caught = e.InnerException.Message == "inner" && e.StackTrace.Contains("Main");
		} finally {
			Console.WriteLine("finally ran");
		}
		Check("exceptions", caught);

		string dir = Path.Combine(Path.GetTempPath(), "mcc-features-" + Environment.TickCount);
		Directory.CreateDirectory(dir);
		string file = Path.Combine(dir, "f.txt");
		File.WriteAllLines(file, new[] { "one", "two", "three" });
		File.AppendAllText(file, "four\n");
		var lines = File.ReadAllLines(file);
		File.Delete(file);
		Directory.Delete(dir);
		Check("fileio", lines.Length == 4 && lines[3] == "four" && !Directory.Exists(dir));

		Console.WriteLine("all features ok");
		return 0;
	}
}
