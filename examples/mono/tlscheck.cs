// tlscheck: an SslStream client or server over TLS 1.2, so a test can show
// that a bundle's BTLS works on both sides of a connection.
//
//   mcs -out:tlscheck.exe tlscheck.cs
//   ./tlscheck client PORT CERT.pem   # connects to 127.0.0.1:PORT as "localhost",
//                                     # accepts only the server certificate CERT.pem,
//                                     # sends "ping", prints the reply
//   ./tlscheck server PORT CERT.pfx   # listens on 127.0.0.1:PORT (0: any; prints it),
//                                     # answers one client's line with "pong: LINE"
//
// The client pins the one certificate it is given instead of trusting a CA:
// which roots a bundle trusts is the image's business, not this program's.
// Errors print the exception chain and exit 1.
using System;
using System.IO;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

class TlsCheck
{
	static int Main (string[] args)
	{
		if (args.Length != 3 || (args [0] != "client" && args [0] != "server")) {
			Console.Error.WriteLine ("usage: tlscheck client|server PORT CERT");
			return 2;
		}
		try {
			int port = int.Parse (args [1]);
			if (args [0] == "client")
				Client (port, new X509Certificate2 (args [2]));
			else
				Server (port, new X509Certificate2 (args [2], "tlscheck"));
			return 0;
		} catch (Exception e) {
			for (var x = e; x != null; x = x.InnerException)
				Console.Error.WriteLine ("error: {0}: {1}", x.GetType ().FullName, x.Message);
			return 1;
		}
	}

	static void Client (int port, X509Certificate2 pinned)
	{
		using (var tcp = new TcpClient ("127.0.0.1", port))
		using (var ssl = new SslStream (tcp.GetStream (), false, (sender, cert, chain, errors) =>
				cert != null && new X509Certificate2 (cert).Thumbprint == pinned.Thumbprint)) {
			ssl.AuthenticateAsClient ("localhost", null, SslProtocols.Tls12, false);
			var w = new StreamWriter (ssl);
			w.Write ("ping\n");
			w.Flush ();
			string reply = new StreamReader (ssl).ReadLine ();
			Console.WriteLine ("protocol: {0}", ssl.SslProtocol);
			Console.WriteLine ("reply: {0}", reply);
		}
	}

	static void Server (int port, X509Certificate2 cert)
	{
		var listener = new TcpListener (IPAddress.Loopback, port);
		listener.Start ();
		Console.WriteLine ("listening on {0}", ((IPEndPoint) listener.LocalEndpoint).Port);
		Console.Out.Flush ();
		using (var tcp = listener.AcceptTcpClient ())
		using (var ssl = new SslStream (tcp.GetStream (), false)) {
			ssl.AuthenticateAsServer (cert, false, SslProtocols.Tls12, false);
			string line = new StreamReader (ssl).ReadLine ();
			var w = new StreamWriter (ssl);
			w.Write ("pong: " + line + "\n");
			w.Flush ();
			Console.WriteLine ("protocol: {0}", ssl.SslProtocol);
		}
		listener.Stop ();
	}
}
