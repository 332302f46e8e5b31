#pragma once
// One file over HTTP(S) with libcurl into a ".part" file: redirects followed (the hub answers with a 302 to
// its CDN), an existing .part resumed with a Range request, a dropped connection retried from where it
// stopped, progress shown on stderr. Checking and renaming the result is the caller's business.
#include <filesystem>
#include <string>

#include "winclip/error.hpp"

namespace winclip {

struct DownloadRequest {
  std::string url;
  std::filesystem::path part_path;  // bytes received so far; created, appended to, or restarted
  std::string label;                // progress bar label
  bool progress = true;
  int max_attempts = 4;             // transfers started, counting the first
};

enum class DownloadStatus { Complete, NotFound };

struct DownloadResult {
  DownloadStatus status = DownloadStatus::Complete;
  // The hub's X-Linked-Etag (sent with the redirect for files stored in LFS) when it is a sha256, lowercase.
  std::string linked_sha256;
  bool resumed = false;  // the final transfer continued bytes that were already in the .part
};

// The server could not be reached, or the connection kept failing: the caller gives offline advice.
class NetworkError : public Error {
 public:
  using Error::Error;
};

// Returns NotFound for an HTTP 404 (the .part is left untouched). Throws NetworkError as above, and Error
// for any other HTTP error status and for local I/O failures; a .part with useful bytes is kept for the next
// run to resume.
DownloadResult download_to_part(const DownloadRequest& request);

}  // namespace winclip
