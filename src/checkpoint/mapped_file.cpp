#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "checkpoint/weight_formats.hpp"
#include "winclip/error.hpp"

namespace winclip::detail {
namespace {

// Closes the descriptor on every exit path; the mapping stays valid after close.
struct FileDescriptor {
  int fd;
  ~FileDescriptor() { ::close(fd); }
};

}  // namespace

std::shared_ptr<const MappedFile> MappedFile::open(const std::filesystem::path& path) {
  const std::string where = path.string();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(where, std::string("cannot open: ") + std::strerror(errno));
  FileDescriptor guard{fd};

  struct stat info {};
  if (::fstat(fd, &info) != 0) throw Error(where, std::string("cannot stat: ") + std::strerror(errno));
  if (S_ISDIR(info.st_mode)) throw Error(where, "is a directory, expected a weight file");
  if (!S_ISREG(info.st_mode)) throw Error(where, "is not a regular file");

  std::shared_ptr<MappedFile> file(new MappedFile());
  file->size_ = static_cast<size_t>(info.st_size);
  if (file->size_ == 0) return file;  // mmap refuses length 0; the parsers report the empty file
  void* data = ::mmap(nullptr, file->size_, PROT_READ, MAP_PRIVATE, fd, 0);
  if (data == MAP_FAILED) throw Error(where, std::string("cannot memory-map: ") + std::strerror(errno));
  file->data_ = static_cast<const std::byte*>(data);
  return file;
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<std::byte*>(data_), size_);
}

}  // namespace winclip::detail
