#include "core/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "winclip/error.hpp"

namespace winclip {

void write_file_atomic(const std::filesystem::path& path, std::string_view bytes) {
  const std::string where = path.string();
  std::error_code ec;
  if (path.has_parent_path()) {
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) throw Error(where, "cannot create directory: " + ec.message());
  }
  std::random_device rd;
  const auto tmp = path.string() + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(rd());
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
