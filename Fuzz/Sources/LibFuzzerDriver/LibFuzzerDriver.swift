#if canImport(Glibc)
    import Glibc
#endif

/// libFuzzer's driver for programs with their own `main` (`libclang_rt.fuzzer_no_main`).
// swift-format-ignore: AlwaysUseLowerCamelCase
// (the C symbol's own name)
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

/// The check of the running target; set once, before the driver starts.
nonisolated(unsafe) private var check: ((UnsafeRawBufferPointer) -> Void)?

/// Runs libFuzzer with the process's arguments, calling `body` with every input, and exits with
/// libFuzzer's status. A failed check must trap (`precondition`, `fatalError`): libFuzzer then
/// saves the input as `crash-…` and stops.
public func runLibFuzzer(_ body: @escaping (UnsafeRawBufferPointer) -> Void) -> Never {
    check = body
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    let status = LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        check?(UnsafeRawBufferPointer(start: data, count: size))
        return 0
    }
    exit(status)
}
