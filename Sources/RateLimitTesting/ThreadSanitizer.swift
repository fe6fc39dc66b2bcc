#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Whether this process runs under ThreadSanitizer (`swift test --sanitize=thread`).
///
/// TSan slows every memory access several times over: wall-clock bounds that separate "slow" from
/// "hung" need more room there, and exhaustive explorations more time. Detected from the TSan
/// runtime's entry point being linked in, so that no environment variable has to be remembered.
public enum ThreadSanitizer {
    /// `true` when the ThreadSanitizer runtime is linked into this process.
    public static let isActive: Bool = {
        // The sanitizer runtime is linked into the executable and exports its symbols dynamically
        // (its interceptors need that), so the default search scope finds them.
        #if canImport(Glibc)
            return dlsym(nil, "__tsan_init") != nil // RTLD_DEFAULT is a null handle on glibc
        #elseif canImport(Darwin)
            return dlsym(UnsafeMutableRawPointer(bitPattern: -2), "__tsan_init") != nil // RTLD_DEFAULT
        #else
            return false
        #endif
    }()
}
