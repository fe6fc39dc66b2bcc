// The RESP decoder on arbitrary bytes, as a hostile or intercepted Redis could send them:
// - whole and randomly chunked input agree: the same replies, then the same error or the same
//   unfinished tail (the incremental parser resumes exactly where it stopped);
// - caps hold: no decoded reply nests deeper than `maximumDepth`, has an array longer than
//   `maximumArrayCount` or a bulk string longer than `maximumBulkLength`, and between reads the
//   parser never leaves more than `maximumBufferedBytes` unparsed.
import LibFuzzerDriver
import NIOCore
import RESPCodec

let limits = RESPLimits()

struct Outcome: Equatable {
    var replies: [RESPValue] = []
    var failed = false
}

func checkCaps(_ value: RESPValue, depth: Int = 0) {
    switch value {
    case .bulkString(let bytes?):
        precondition(bytes.count <= limits.maximumBulkLength, "bulk string of \(bytes.count) bytes")
    case .array(let elements?):
        precondition(depth < limits.maximumDepth, "array at depth \(depth + 1)")
        precondition(elements.count <= limits.maximumArrayCount, "array of \(elements.count)")
        for element in elements { checkCaps(element, depth: depth + 1) }
    default:
        break
    }
}

/// Feeds `bytes` in pieces of the given sizes (cycled), parsing after each piece.
func decode(_ bytes: UnsafeRawBufferPointer, pieces: [Int]) -> Outcome {
    var parser = RESPParser(limits: limits)
    var buffer = ByteBufferAllocator().buffer(capacity: 0)
    var outcome = Outcome()
    var offset = 0
    var piece = 0
    while offset < bytes.count {
        let size = min(pieces[piece % pieces.count], bytes.count - offset)
        piece += 1
        buffer.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + size)]))
        offset += size
        do {
            while let reply = try parser.parse(&buffer) {
                checkCaps(reply)
                outcome.replies.append(reply)
            }
        } catch {
            outcome.failed = true
            return outcome
        }
        precondition(
            buffer.readableBytes <= limits.maximumBufferedBytes,
            "\(buffer.readableBytes) bytes left unparsed, over the cap of \(limits.maximumBufferedBytes)"
        )
    }
    return outcome
}

runLibFuzzer { input in
    guard let seed = input.first else { return }
    let data = UnsafeRawBufferPointer(rebasing: input.dropFirst())
    guard !data.isEmpty else { return }
    // Piece sizes from the first byte: single bytes, small primes, and one big read.
    let pieces = [1 + Int(seed % 7), 1, 3 + Int(seed >> 4), 4096]
    let whole = decode(data, pieces: [data.count])
    let chunked = decode(data, pieces: pieces)
    let bytewise = decode(data, pieces: [1])
    precondition(whole == chunked, "pieces \(pieces): \(whole) vs \(chunked)")
    precondition(whole == bytewise, "byte by byte: \(whole) vs \(bytewise)")
}
