// HTTP message parsing and formatting; see http_message.h.
#include "http_message.h"

#include <cctype>
#include <cstdlib>
#include <sstream>

namespace cron {

namespace {

std::string Trim(const std::string& s) {
  std::size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  std::size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string UrlDecode(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() &&
               std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::strtol(s.substr(i + 1, 2).c_str(), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

const char* Reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Payload Too Large";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return "Error";
  }
}

}  // namespace

bool ParseRequestHead(const std::string& head, HttpRequest* request) {
  std::istringstream in(head);
  std::string line;
  if (!std::getline(in, line)) return false;
  std::istringstream request_line(Trim(line));
  std::string target, version;
  if (!(request_line >> request->method >> target >> version)) return false;
  if (version.rfind("HTTP/1.", 0) != 0 || target.empty() || target[0] != '/') return false;
  std::size_t q = target.find('?');
  request->path = target.substr(0, q);
  request->query = q == std::string::npos ? "" : target.substr(q + 1);
  while (std::getline(in, line)) {
    line = Trim(line);
    if (line.empty()) break;
    std::size_t colon = line.find(':');
    if (colon == std::string::npos || colon == 0) return false;
    request->headers[Lower(Trim(line.substr(0, colon)))] = Trim(line.substr(colon + 1));
  }
  return true;
}

bool ContentLength(const HttpRequest& request, std::size_t* length) {
  auto it = request.headers.find("content-length");
  *length = 0;
  if (it == request.headers.end()) return true;
  const std::string& v = it->second;
  if (v.empty() || v.size() > 12 || v.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  *length = static_cast<std::size_t>(std::strtoull(v.c_str(), nullptr, 10));
  return true;
}

std::string FormatResponse(const HttpResponse& response) {
  std::ostringstream out;
  out << "HTTP/1.1 " << response.status << ' ' << Reason(response.status) << "\r\n"
      << "Content-Type: " << response.content_type << "\r\n"
      << "Content-Length: " << response.body.size() << "\r\n"
      << "Connection: close\r\n\r\n"
      << response.body;
  return out.str();
}

std::vector<std::pair<std::string, std::string>> ParseForm(const std::string& body) {
  std::vector<std::pair<std::string, std::string>> fields;
  std::size_t start = 0;
  while (start <= body.size()) {
    std::size_t end = body.find('&', start);
    if (end == std::string::npos) end = body.size();
    std::string field = body.substr(start, end - start);
    if (!field.empty()) {
      std::size_t eq = field.find('=');
      fields.emplace_back(UrlDecode(field.substr(0, eq)),
                          eq == std::string::npos ? "" : UrlDecode(field.substr(eq + 1)));
    }
    start = end + 1;
  }
  return fields;
}

}  // namespace cron
