#include "hub/http_download.hpp"

#include <curl/curl.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "core/sha256.hpp"
#include "winclip/progress.hpp"

namespace winclip {
namespace {

constexpr long kConnectTimeoutSeconds = 20;
// A transfer slower than 1 byte/s for a minute has stalled: abort it and let the retry resume it.
constexpr long kStallSeconds = 60;

void ensure_curl_initialised() {
  // curl_global_init must precede every other curl call and is not thread-safe. It is never undone: the
  // process has no use for the memory back.
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw Error("libcurl initialisation failed");
  });
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

std::string lowercase(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

// An entity tag without its weak marker and quotes: W/"abc" → abc.
std::string_view unquote_etag(std::string_view value) {
  if (value.starts_with("W/")) value.remove_prefix(2);
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
  return value;
}

uint64_t file_size_or_zero(const std::filesystem::path& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : size;
}

// One transfer: the state curl's callbacks share.
struct Attempt {
  const DownloadRequest& request;
  CURL* curl;
  uint64_t offset;  // bytes of the .part this transfer continues; 0 once the server sends the whole file
  std::FILE* file = nullptr;
  std::string linked_sha256;
  std::optional<uint64_t> range_start;  // first byte of the current response's Content-Range
  std::optional<ProgressBar> bar;
  uint64_t received = 0;
  std::string local_error;      // why a callback stopped the transfer
  bool range_mismatch = false;  // a 206 that does not continue the .part where it ends

  ~Attempt() { close(); }
  int close() {
    const int status = file ? std::fclose(file) : 0;
    file = nullptr;
    return status;
  }
  bool open_part();
};

// Called at the first body byte, once the final response's status is known.
bool Attempt::open_part() {
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  const bool append = status == 206;
  if (append && range_start != offset) {
    range_mismatch = true;
    return false;
  }
  // A 200 carries the whole file: a server that ignores Range makes us start over.
  if (!append) offset = 0;
  file = std::fopen(request.part_path.c_str(), append ? "ab" : "wb");
  if (!file) {
    local_error = std::string("cannot write: ") + std::strerror(errno);
    return false;
  }
  if (request.progress) {
    curl_off_t length = -1;
    curl_easy_getinfo(curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
    bar.emplace(request.label, length > 0 ? offset + static_cast<uint64_t>(length) : 0, ProgressUnit::Bytes, offset);
  }
  return true;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto& attempt = *static_cast<Attempt*>(user);
  const std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) attempt.range_start.reset();  // a new response, e.g. after a redirect
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return size * count;
  const std::string name = lowercase(trim(line.substr(0, colon)));
  const std::string_view value = trim(line.substr(colon + 1));
  // The hub sends X-Linked-Etag on its redirect, not on the CDN's answer: keep the first one seen.
  if (name == "x-linked-etag" && attempt.linked_sha256.empty() && is_sha256_hex(unquote_etag(value)))
    attempt.linked_sha256 = lowercase(unquote_etag(value));
  if (name == "content-range" && value.starts_with("bytes "))
    attempt.range_start = std::strtoull(std::string(value.substr(6)).c_str(), nullptr, 10);
  return size * count;
}

// Returning fewer bytes than given makes curl abort the transfer with CURLE_WRITE_ERROR.
size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto& attempt = *static_cast<Attempt*>(user);
  const size_t bytes = size * count;
  if (!attempt.file && !attempt.open_part()) return 0;
  if (std::fwrite(data, 1, bytes, attempt.file) != bytes) {
    attempt.local_error = std::string("write failed: ") + std::strerror(errno);
    return 0;
  }
  attempt.received += bytes;
  if (attempt.bar) attempt.bar->update(attempt.offset + attempt.received);
  return bytes;
}

CURLcode perform(Attempt& attempt, char* error_buffer) {
  CURL* curl = attempt.curl;
  curl_easy_setopt(curl, CURLOPT_URL, attempt.request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "winclip");
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, kConnectTimeoutSeconds);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, kStallSeconds);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &attempt);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &attempt);
  // CURLOPT_RANGE rather than CURLOPT_RESUME_FROM: curl then leaves a 200 answer to us instead of failing,
  // and open_part() restarts the file.
  const std::string range = std::to_string(attempt.offset) + "-";
  if (attempt.offset > 0) curl_easy_setopt(curl, CURLOPT_RANGE, range.c_str());
  return curl_easy_perform(curl);
}

// No answer at all: nothing to retry against, so the caller's offline advice applies at once.
bool is_unreachable(CURLcode code, long status) {
  return code == CURLE_COULDNT_RESOLVE_HOST || code == CURLE_COULDNT_RESOLVE_PROXY ||
         code == CURLE_COULDNT_CONNECT || (code == CURLE_OPERATION_TIMEDOUT && status == 0);
}

// A connection that dropped or stalled mid-way: worth resuming.
bool is_transient(CURLcode code) {
  return code == CURLE_PARTIAL_FILE || code == CURLE_RECV_ERROR || code == CURLE_SEND_ERROR ||
         code == CURLE_GOT_NOTHING || code == CURLE_OPERATION_TIMEDOUT || code == CURLE_HTTP2 ||
         code == CURLE_HTTP2_STREAM;
}

std::string http_status_hint(long status) {
  if (status == 401 || status == 403) return " (the repository does not exist, or it is gated and needs a login)";
  if (status >= 500) return " (a server error; try again later)";
  return "";
}

}  // namespace

DownloadResult download_to_part(const DownloadRequest& request) {
  ensure_curl_initialised();
  const std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) throw Error(request.url, "cannot create a libcurl handle");
  const std::string part = request.part_path.string();
  std::string last_failure;
  for (int attempt_number = 1; attempt_number <= request.max_attempts; ++attempt_number) {
    // The first retry follows at once (a dropped connection usually reconnects); later ones back off.
    if (attempt_number > 2) std::this_thread::sleep_for(std::chrono::seconds(attempt_number - 2));
    curl_easy_reset(curl.get());
    Attempt attempt{request, curl.get(), file_size_or_zero(request.part_path)};
    char error_buffer[CURL_ERROR_SIZE] = "";
    const CURLcode code = perform(attempt, error_buffer);
    long status = 0;
    curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);

    if (code == CURLE_OK) {
      if (!attempt.file && !attempt.open_part()) throw Error(part, attempt.local_error);  // an empty body
      if (attempt.close() != 0) throw Error(part, "cannot finish writing");
      return {DownloadStatus::Complete, attempt.linked_sha256, attempt.offset > 0};
    }
    attempt.close();
    last_failure = error_buffer[0] ? error_buffer : curl_easy_strerror(code);
    if (code == CURLE_HTTP_RETURNED_ERROR && status == 404) return {DownloadStatus::NotFound, "", false};
    // 416, or a 206 starting elsewhere: the .part is not a prefix of what the server has now.
    if ((code == CURLE_HTTP_RETURNED_ERROR && status == 416) || attempt.range_mismatch) {
      std::filesystem::remove(request.part_path);
      continue;
    }
    if (code == CURLE_HTTP_RETURNED_ERROR)
      throw Error(request.url, "HTTP " + std::to_string(status) + http_status_hint(status));
    if (!attempt.local_error.empty()) throw Error(part, attempt.local_error);
    if (is_unreachable(code, status)) throw NetworkError(request.url, last_failure);
    if (!is_transient(code)) throw Error(request.url, last_failure);
  }
  throw NetworkError(request.url, "the transfer failed " + std::to_string(request.max_attempts) +
                                      " times (last: " + last_failure + "); " + part +
                                      " keeps what arrived, so running again resumes");
}

}  // namespace winclip
