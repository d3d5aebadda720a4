// A program that P/Invokes a native library of its own (libgreet.c).
// mcc mkbundle finds "greet" through the assembly's ModuleRef table and
// Mono's dllmap: with --libc glibc the image carries libgreet.so; a static
// musl bundle links libgreet.a in with --native greet=libgreet.a.
using System;
using System.Runtime.InteropServices;

class PInvoke
{
	[DllImport("greet")]
	static extern int greet_add(int a, int b);

	[DllImport("greet")]
	static extern IntPtr greet_message();

	static void Main()
	{
		Console.WriteLine("greet_add(2, 40) = " + greet_add(2, 40));
		Console.WriteLine(Marshal.PtrToStringAnsi(greet_message()));
	}
}
