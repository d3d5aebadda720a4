// hello: the smallest Mono program mcc bundles.
using System;

class Hello
{
	static int Main(string[] args)
	{
		Console.WriteLine("hello from Mono " + Environment.Version + " on " + Environment.OSVersion.Platform);
		Console.WriteLine("args: " + string.Join(" ", args));
		return 0;
	}
}
