import HTTPTypes
import Hummingbird
import NIOCore

/// The small JSON responses that ``RateLimitMiddleware`` answers with instead of calling the
/// handler. Bodies are rendered from integers and fixed text, so no encoder runs per request.
enum RateLimitResponses {
    /// `429 Too Many Requests`, with `Retry-After` unless `retryAfterSeconds` is `nil` (a cost
    /// above the capacity, which no wait can admit):
    ///
    /// ```json
    /// {"error":"Too Many Requests","detail":"Rate limit exceeded. Retry after 1 s.","retryAfter":1}
    /// ```
    static func tooManyRequests(retryAfterSeconds: Int64?) -> Response {
        guard let seconds = retryAfterSeconds else {
            return Self.json(
                .tooManyRequests,
                #"{"error":"Too Many Requests","detail":"The request costs more than the rate limit's capacity; it can never be admitted."}"#
            )
        }
        var response = Self.json(
            .tooManyRequests,
            #"{"error":"Too Many Requests","detail":"Rate limit exceeded. Retry after \#(seconds) s.","retryAfter":\#(seconds)}"#
        )
        response.headers[.retryAfter] = String(seconds)
        return response
    }

    /// The answer to a request with no client key under ``UnidentifiedClientPolicy/reject(status:)``.
    static func unidentified(_ status: HTTPResponse.Status) -> Response {
        Self.json(status, #"{"error":"\#(Self.reason(status))","detail":"The client could not be identified."}"#)
    }

    /// The answer when no decision could be made: `500` for a bug (a negative cost), `503` when
    /// the limiter is unavailable.
    static func failure(_ status: HTTPResponse.Status) -> Response {
        Self.json(status, #"{"error":"\#(Self.reason(status))"}"#)
    }

    private static func json(_ status: HTTPResponse.Status, _ body: String) -> Response {
        let buffer = ByteBuffer(string: body)
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: buffer)
        )
    }

    /// The reason phrase, reduced to characters that need no JSON escaping.
    private static func reason(_ status: HTTPResponse.Status) -> String {
        String(status.reasonPhrase.unicodeScalars.filter { $0.isASCII && $0 != "\"" && $0 != "\\" && $0.value >= 0x20 })
    }
}
