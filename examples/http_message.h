// HTTP/1.1 request parsing and response formatting for the demo service: just enough for curl.
//
// Parsing deliberately uses ordinary std::string / std::map churn: a real service allocates and
// frees like this on every request, and the demo's heap diff must show that such churn, once
// freed, leaves nothing behind. Pure functions; thread-compatible.
#ifndef LEAKTRACK_EXAMPLES_HTTP_MESSAGE_H_
#define LEAKTRACK_EXAMPLES_HTTP_MESSAGE_H_

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace cron {

struct HttpRequest {
  std::string method;
  std::string path;   // target without the query string
  std::string query;  // after '?', without it
  std::map<std::string, std::string> headers;  // keys lower-cased
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// Parses the request line and headers (everything before the blank line, CRLFs included).
// Returns false on a malformed head.
[[nodiscard]] bool ParseRequestHead(const std::string& head, HttpRequest* request);

// The Content-Length of a parsed request, 0 if absent; false if it is not a number.
[[nodiscard]] bool ContentLength(const HttpRequest& request, std::size_t* length);

// Status line, headers (Content-Length, Connection: close) and body.
std::string FormatResponse(const HttpResponse& response);

// Splits an application/x-www-form-urlencoded body into decoded (key, value) pairs.
std::vector<std::pair<std::string, std::string>> ParseForm(const std::string& body);

}  // namespace cron

#endif  // LEAKTRACK_EXAMPLES_HTTP_MESSAGE_H_
