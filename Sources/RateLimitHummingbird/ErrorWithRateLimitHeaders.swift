import HTTPTypes
import Hummingbird
import RateLimit

/// An error thrown by the handler of an allowed request, carrying that request's rate-limit
/// headers into the error response: the request did take its tokens, and clients throttle on
/// every response, not only successful ones.
struct ErrorWithRateLimitHeaders: HTTPResponseError {
    let original: any HTTPResponseError
    let decision: RateLimitDecision
    let headers: RateLimitHeaders

    var status: HTTPResponse.Status { self.original.status }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try self.original.response(from: request, context: context)
        self.headers.write(self.decision, to: &response.headers)
        return response
    }
}
