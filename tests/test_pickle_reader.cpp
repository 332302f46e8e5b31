// The restricted unpickler on hand-written opcode strings (opcode meanings from CPython's pickletools).
#include <gtest/gtest.h>

#include "checkpoint/pickle_reader.hpp"
#include "support/pickle_refusals.hpp"
#include "torch_file_builder.hpp"
#include "winclip/error.hpp"

using namespace winclip;
using namespace winclip::detail::pickle;
using namespace winclip::test::pickle_op;
using namespace std::string_literals;

namespace {

// `bytes` must outlive the result: strings point into it.
Unpickled load(const std::string& bytes) {
  return unpickle(std::as_bytes(std::span(bytes.data(), bytes.size())), "test.pkl");
}

std::string error_of(const std::string& bytes) {
  try {
    load(bytes);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

const Object& object(const Unpickled& u, const Value& value) { return u.objects.at(std::get<ObjectRef>(value).index); }

}  // namespace

TEST(PickleReader, ReadsDictsListsAndScalars) {
  // {'a': 1, 'b': [2, -1, True, None, False], 'c': 1.5}
  std::string bytes = kProto2 + "}q\x00("s + str("a") + "K\x01"s + str("b") + "](K\x02"s + integer(-1) + "\x88N\x89"
                      "e" + str("c") + "G\x3f\xf8\x00\x00\x00\x00\x00\x00"s + "u.";
  Unpickled u = load(bytes);
  const Object* dict = u.dict(u.root);
  ASSERT_NE(dict, nullptr);
  ASSERT_EQ(dict->entries.size(), 3u);
  EXPECT_EQ(std::get<std::string_view>(dict->entries[0].first), "a");
  EXPECT_EQ(std::get<int64_t>(dict->entries[0].second), 1);
  const Object& list = object(u, dict->entries[1].second);
  ASSERT_EQ(list.kind, Object::Kind::List);
  ASSERT_EQ(list.items.size(), 5u);
  EXPECT_EQ(std::get<int64_t>(list.items[0]), 2);
  EXPECT_EQ(std::get<int64_t>(list.items[1]), -1);
  EXPECT_EQ(std::get<bool>(list.items[2]), true);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(list.items[3]));
  EXPECT_EQ(std::get<bool>(list.items[4]), false);
  EXPECT_EQ(std::get<double>(dict->entries[2].second), 1.5);
}

TEST(PickleReader, MemoSharesOneContainer) {
  // l = []; (l, l) with 5 appended through the second reference.
  std::string bytes = kProto2 + "(]q\x00h\x00K\x05"s + "at.";
  Unpickled u = load(bytes);
  const Object& pair = object(u, u.root);
  ASSERT_EQ(pair.items.size(), 2u);
  EXPECT_EQ(std::get<ObjectRef>(pair.items[0]).index, std::get<ObjectRef>(pair.items[1]).index);
  ASSERT_EQ(object(u, pair.items[0]).items.size(), 1u);
  EXPECT_EQ(std::get<int64_t>(object(u, pair.items[0]).items[0]), 5);
}

TEST(PickleReader, Long1IsSignedLittleEndian) {
  std::string bytes = kProto2 + "(\x8a\x00\x8a\x02\x00\x80\x8a\x05\x00\x00\x00\x00\x01\x8a\x01\xff"s + "t.";
  Unpickled u = load(bytes);
  const Object& values = object(u, u.root);
  ASSERT_EQ(values.items.size(), 4u);
  EXPECT_EQ(std::get<int64_t>(values.items[0]), 0);
  EXPECT_EQ(std::get<int64_t>(values.items[1]), -32768);
  EXPECT_EQ(std::get<int64_t>(values.items[2]), int64_t{1} << 32);
  EXPECT_EQ(std::get<int64_t>(values.items[3]), -1);
}

TEST(PickleReader, Protocol4FramesMemoizeAndStackGlobal) {
  std::string body = short_str("collections") + "\x94" + short_str("OrderedDict") + "\x94\x93)R\x94" + short_str("k") +
                     short_str("v") + "s.";
  std::string bytes = "\x80\x04\x95"s;
  test::append_le(bytes, body.size(), 8);
  bytes += body;
  Unpickled u = load(bytes);
  const Object* dict = u.dict(u.root);
  ASSERT_NE(dict, nullptr);
  ASSERT_EQ(dict->entries.size(), 1u);
  EXPECT_EQ(std::get<std::string_view>(dict->entries[0].second), "v");
}

TEST(PickleReader, RebuildsTensorViewsFromPersistentStorages) {
  std::string bytes = test::state_dict_pickle(
      {{"w", test::tensor_pickle({"HalfStorage", "7", 24, 4, {2, 3}, {3, 1}})},
       {"p", global("torch._utils", "_rebuild_parameter") + "(" +
                 test::tensor_pickle({"BFloat16Storage", "8", 2, 0, {2}, {1}}) + "\x88" + kEmptyOrderedDict + "tR"}});
  Unpickled u = load(bytes);
  const Object* dict = u.dict(u.root);
  ASSERT_NE(dict, nullptr);
  ASSERT_EQ(dict->entries.size(), 2u);
  const TensorView* w = u.tensor(dict->entries[0].second);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->storage.type->name, "HalfStorage");
  EXPECT_EQ(w->storage.type->dtype, DType::F16);
  EXPECT_EQ(w->storage.key, "7");
  EXPECT_EQ(w->storage.numel, 24);
  EXPECT_EQ(w->offset, 4);
  EXPECT_EQ(w->shape, (Shape{2, 3}));
  EXPECT_EQ(w->stride, (Shape{3, 1}));
  const TensorView* p = u.tensor(dict->entries[1].second);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->storage.type->dtype, DType::BF16);
  EXPECT_EQ(p->shape, (Shape{2}));
}

TEST(PickleReader, StringsMustBeUtf8) {
  std::string accented = kProto2 + str("caf\xc3\xa9") + ".";
  EXPECT_EQ(std::get<std::string_view>(load(accented).root), "caf\xc3\xa9");
  EXPECT_NE(error_of(kProto2 + str("caf\xe9") + ".").find("not valid UTF-8"), std::string::npos);
}

TEST(PickleReader, RefusedGlobalIsNamedWithItsOffset) {
  std::string message = error_of(kProto2 + global("os", "system") + str("touch x") + "\x85R.");
  EXPECT_NE(message.find("test.pkl: pickle offset 2: refusing global 'os.system'"), std::string::npos) << message;
}

class PickleRefusal : public testing::TestWithParam<test::PickleRefusalCase> {};

TEST_P(PickleRefusal, IsAnErrorNamingTheProblem) {
  std::string message = error_of(GetParam().bytes);
  EXPECT_NE(message.find(GetParam().expected), std::string::npos) << "message: " << message;
}

INSTANTIATE_TEST_SUITE_P(Globals, PickleRefusal, testing::ValuesIn(test::pickle_global_refusals()));
INSTANTIATE_TEST_SUITE_P(Opcodes, PickleRefusal, testing::ValuesIn(test::pickle_opcode_refusals()));
INSTANTIATE_TEST_SUITE_P(Malformed, PickleRefusal, testing::ValuesIn(test::pickle_malformed_refusals()));

// Containers live in a flat table, so nesting costs no recursion: lists nested 2^18 deep load (and the limit
// on values, not the depth, is what refuses deeper ones: the robustness table's bombs).
TEST(PickleReader, DeepNestingLoadsWithoutRecursion) {
  const size_t depth = size_t{1} << 18;
  const std::string bytes = kProto2 + std::string(depth, ']') + std::string(depth - 1, 'a') + ".";
  Unpickled u = load(bytes);
  ASSERT_EQ(u.objects.size(), depth);
  const Object* list = &object(u, u.root);
  for (size_t level = 1; level < depth; ++level) {
    ASSERT_EQ(list->items.size(), 1u) << level;
    list = &object(u, list->items[0]);
  }
  EXPECT_TRUE(list->items.empty());
}

TEST(PickleReader, GrowthPastTheValueLimitIsRefused) {
  std::string gets = kProto2 + "]\x94"s;
  for (int i = 0; i < (1 << 19); ++i) gets += "h\x00"s;
  EXPECT_NE(error_of(gets + ".").find("more than 524288 values; not a state dict"), std::string::npos);
  EXPECT_NE(error_of(kProto2 + std::string(size_t{1} << 20, '(') + "N.").find("more than 524288 values"),
            std::string::npos);
}
