#include <gtest/gtest.h>

#include "checkpoint/zip_reader.hpp"
#include "test_support.hpp"
#include "torch_file_builder.hpp"
#include "winclip/error.hpp"

using namespace winclip;
using detail::ZipMember;

namespace {

// The members point into `archive`, which must outlive them.
std::vector<ZipMember> read(const std::string& archive) {
  return detail::read_zip_members(std::as_bytes(std::span(archive.data(), archive.size())), "test.zip");
}

std::string text(const ZipMember& member) {
  return {reinterpret_cast<const char*>(member.data.data()), member.data.size()};
}

// The Error message of reading `archive`, or "" if it was accepted.
std::string error_of(const std::string& archive) {
  try {
    read(archive);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

const std::vector<test::ZipMemberSpec> kMembers = {
    {"archive/data.pkl", "pickle bytes"}, {"archive/data/0", ""}, {"archive/version", "3\n"}};

}  // namespace

TEST(ZipReader, FindsTheMembersOfTheTorchSaveFixture) {
  // Listing from Python's zipfile: 64 members, data.pkl first with 9775 bytes, the version last.
  std::string archive = test::read_bytes(test::data_path("torch/open_clip_pytorch_model.bin"));
  auto members = read(archive);
  ASSERT_EQ(members.size(), 64u);
  EXPECT_EQ(members.front().name, "open_clip_pytorch_model/data.pkl");
  EXPECT_EQ(members.front().data.size(), 9775u);
  EXPECT_EQ(std::to_integer<char>(members.front().data[0]), '\x80');  // pickle PROTO
  EXPECT_EQ(members.back().name, "open_clip_pytorch_model/version");
  EXPECT_EQ(text(members.back()), "3\n");
}

TEST(ZipReader, ReadsStoredMembersInDirectoryOrder) {
  for (bool zip64 : {false, true}) {
    std::string archive = test::zip_archive(kMembers, zip64);
    auto members = read(archive);
    ASSERT_EQ(members.size(), 3u) << "zip64 " << zip64;
    for (size_t i = 0; i < members.size(); ++i) {
      EXPECT_EQ(members[i].name, kMembers[i].name);
      EXPECT_EQ(text(members[i]), kMembers[i].data);
    }
  }
}

TEST(ZipReader, DataPointsIntoTheArchiveWithoutCopying) {
  std::string archive = test::zip_archive(kMembers);
  auto members = read(archive);
  const auto* begin = reinterpret_cast<const std::byte*>(archive.data());
  EXPECT_GE(members[0].data.data(), begin);
  EXPECT_LE(members[0].data.data() + members[0].data.size(), begin + archive.size());
}

TEST(ZipReader, TruncatedArchiveIsRefused) {
  std::string archive = test::zip_archive(kMembers);
  EXPECT_NE(error_of(archive.substr(0, archive.size() - 1)).find("no end-of-central-directory"), std::string::npos);
  // Cutting the members away leaves a directory that points past the end.
  std::string tail = archive.substr(archive.size() - 22);
  std::string message = error_of(archive.substr(0, 10) + tail);
  EXPECT_NE(message.find("truncated"), std::string::npos) << message;
  EXPECT_NE(message.find("test.zip"), std::string::npos) << message;
}

TEST(ZipReader, NotAZipIsRefused) {
  EXPECT_NE(error_of("").find("not a zip archive"), std::string::npos);
  EXPECT_NE(error_of(std::string(100, 'x')).find("not a zip archive"), std::string::npos);
}

TEST(ZipReader, BadCentralDirectoryIsRefused) {
  std::string archive = test::zip_archive(kMembers);
  size_t directory = archive.find("PK\x01\x02");
  archive[directory + 2] = '\x07';
  EXPECT_NE(error_of(archive).find("bad central directory entry"), std::string::npos);
}

TEST(ZipReader, LocalHeaderMustMatchTheDirectory) {
  std::string archive = test::zip_archive(kMembers);
  archive[30] = 'X';  // first byte of the first member's local name
  std::string message = error_of(archive);
  EXPECT_NE(message.find("'archive/data.pkl'"), std::string::npos) << message;
  EXPECT_NE(message.find("does not match the central directory"), std::string::npos) << message;
}

TEST(ZipReader, CompressedMemberIsRefusedByName) {
  std::string message = error_of(test::zip_archive({{"archive/data.pkl", "xx", 8}}));
  EXPECT_NE(message.find("'archive/data.pkl'"), std::string::npos) << message;
  EXPECT_NE(message.find("compressed (method 8)"), std::string::npos) << message;
}

TEST(ZipReader, EncryptedMemberIsRefused) {
  std::string message = error_of(test::zip_archive({{"archive/data.pkl", "xx", 0, 1}}));
  EXPECT_NE(message.find("encrypted"), std::string::npos) << message;
}

TEST(ZipReader, MemberDataMayNotRunIntoTheDirectory) {
  std::string archive = test::zip_archive(kMembers);
  // Claim 4 more bytes for the last member, in its central directory entry (sizes at +20 and +24).
  size_t entry = archive.rfind("PK\x01\x02");
  archive[entry + 20] = static_cast<char>(archive[entry + 20] + 4);
  archive[entry + 24] = static_cast<char>(archive[entry + 24] + 4);
  EXPECT_NE(error_of(archive).find("truncated"), std::string::npos);
}
