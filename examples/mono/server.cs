// server: an HttpListener on 127.0.0.1 that answers every request, or
// stops after the one to /quit. The port is the first argument (default 8080).
using System;
using System.Net;
using System.Text;

class Server
{
	static int Main(string[] args)
	{
		string port = args.Length > 0 ? args[0] : "8080";
		var listener = new HttpListener();
		listener.Prefixes.Add("http://127.0.0.1:" + port + "/");
		listener.Start();
		Console.WriteLine("listening on 127.0.0.1:" + port);
		Console.Out.Flush();
		for (;;) {
			HttpListenerContext ctx = listener.GetContext();
			string path = ctx.Request.Url.AbsolutePath;
			byte[] body = Encoding.UTF8.GetBytes("hello from a bundled Mono HttpListener: " + path + "\n");
			ctx.Response.ContentType = "text/plain";
			ctx.Response.ContentLength64 = body.Length;
			ctx.Response.OutputStream.Write(body, 0, body.Length);
			ctx.Response.Close();
			if (path == "/quit")
				break;
		}
		listener.Stop();
		return 0;
	}
}
