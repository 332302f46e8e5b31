#include "core/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <string>
#include <string_view>

#include "winclip/error.hpp"

namespace winclip {

namespace {
constexpr const char* kTemporaryInfix = ".tmp.";
}  // namespace

bool is_atomic_temporary(const std::filesystem::path& path) {
  const std::string name = path.filename().string();
  const size_t at = name.rfind(kTemporaryInfix);
  if (at == std::string::npos || at == 0) return false;
  // "<pid>.<random>": two runs of digits.
  const std::string rest = name.substr(at + std::char_traits<char>::length(kTemporaryInfix));
  const size_t dot = rest.find('.');
  auto digits = [](std::string_view text) {
    return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
  };
  return dot != std::string::npos && digits(std::string_view(rest).substr(0, dot)) &&
         digits(std::string_view(rest).substr(dot + 1));
}

void write_file_atomic(const std::filesystem::path& path, std::string_view bytes) {
  const std::string where = path.string();
  std::error_code ec;
  if (path.has_parent_path()) {
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) throw Error(where, "cannot create directory: " + ec.message());
  }
  std::random_device rd;
  const auto tmp = path.string() + kTemporaryInfix + std::to_string(::getpid()) + "." + std::to_string(rd());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(where, std::string("cannot write: ") + std::strerror(errno));
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      throw Error(where, std::string("write failed: ") + std::strerror(e));
    }
    done += static_cast<size_t>(n);
  }
  // No fsync: the rename is what makes an interrupted run leave no half-written file behind.
  if (::close(fd) != 0) {
    ::unlink(tmp.c_str());
    throw Error(where, "cannot close file");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    throw Error(where, std::string("cannot rename into place: ") + std::strerror(e));
  }
}

}  // namespace winclip
