// httpsclient: fetches an https URL with WebClient and with HttpClient, so a
// bundle shows that Mono's TLS (BTLS) works and which roots it trusts.
//
//   mcs -r:System.Net.Http.dll -out:httpsclient.exe httpsclient.cs
//   mcc mkbundle --image httpsclient.tar --ca-file corp-root.pem httpsclient.exe
//   ./httpsclient https://127.0.0.1:8443/ [N]
//
// With N, each client makes N requests in this one process and the time per
// request is printed (the first request pays for the TLS set-up).
// A failure prints the exception chain (a certificate the image does not
// trust shows as TrustFailure ... CERTIFICATE_VERIFY_FAILED) and exits 1.
using System;
using System.Diagnostics;
using System.Net;
using System.Net.Http;

class HttpsClient
{
	static int Main (string[] args)
	{
		if (args.Length < 1 || args.Length > 2) {
			Console.Error.WriteLine ("usage: httpsclient https://HOST[:PORT]/PATH [N]");
			return 2;
		}
		string url = args [0];
		int n = args.Length == 2 ? int.Parse (args [1]) : 1;
		try {
			var sw = Stopwatch.StartNew ();
			string body = null;
			using (var wc = new WebClient ()) {
				for (int i = 0; i < n; i++)
					body = wc.DownloadString (url);
			}
			Report ("webclient", body, n, sw);

			sw.Restart ();
			using (var hc = new HttpClient ()) {
				for (int i = 0; i < n; i++)
					body = hc.GetStringAsync (url).Result;
			}
			Report ("httpclient", body, n, sw);
			return 0;
		} catch (Exception e) {
			for (var x = e; x != null; x = x.InnerException)
				Console.Error.WriteLine ("error: {0}: {1}", x.GetType ().FullName, x.Message);
			return 1;
		}
	}

	static void Report (string client, string body, int n, Stopwatch sw)
	{
		Console.WriteLine ("{0}: {1}", client, body.Trim ());
		if (n > 1)
			Console.WriteLine ("{0}: {1} requests in {2} ms ({3:F2} ms each)", client, n, sw.ElapsedMilliseconds, sw.Elapsed.TotalMilliseconds / n);
	}
}
