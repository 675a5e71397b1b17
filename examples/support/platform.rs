//! Where the examples run: the platforms the `aurora` facade has a backend for (Linux, the
//! BSDs, macOS). Elsewhere an example still builds, and its `main` says why it cannot serve.

/// Compiles an example's items only on a platform with a backend, and gives every other
/// platform a `main` that names the example, says what it needs and exits with 1.
macro_rules! on_a_backend {
    ($example:literal, $($item:item)*) => {
        $(
            #[cfg(any(
                target_os = "linux",
                target_vendor = "apple",
                target_os = "freebsd",
                target_os = "dragonfly"
            ))]
            $item
        )*

        #[cfg(not(any(
            target_os = "linux",
            target_vendor = "apple",
            target_os = "freebsd",
            target_os = "dragonfly"
        )))]
        fn main() {
            eprintln!(concat!("the ", $example, " example needs the Linux, BSD or macOS backend"));
            std::process::exit(1);
        }
    };
}
