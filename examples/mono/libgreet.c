/* The native library examples/mono/pinvoke.cs P/Invokes. */
int greet_add(int a, int b) { return a + b; }
const char *greet_message(void) { return "hello from libgreet"; }
