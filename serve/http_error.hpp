#pragma once
// A request the service refuses: the HTTP status and the message of the {"error": ...} body, which names the
// field or file at fault.
#include <stdexcept>
#include <string>

namespace winclip::serve {

class HttpError : public std::runtime_error {
 public:
  HttpError(int status, const std::string& message) : std::runtime_error(message), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

}  // namespace winclip::serve
