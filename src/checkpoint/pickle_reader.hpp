#pragma once
// Internal: a restricted unpickler for the subset of pickle that torch.save uses for state dicts: dicts,
// ordered dicts, lists, tuples, strings, numbers, and tensors rebuilt from storages. Globals come from a
// fixed allow-list and only allow-listed callables may be reduced, so unlike pickle.load it never imports
// or runs anything: every other opcode or global is refused with an Error naming it.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "checkpoint/checkpoint.hpp"

namespace winclip::detail::pickle {

// A torch storage class such as torch.FloatStorage.
struct StorageClass {
  std::string_view name;       // "FloatStorage"
  std::optional<DType> dtype;  // empty for element types a WeightFile cannot hold
  size_t element_size = 0;
  bool integral = false;       // integer or bool elements: index buffers and counters, never weights
};

// A torch storage named by a persistent id: the zip member `<archive>/data/<key>` holds `numel` elements.
struct Storage {
  const StorageClass* type = nullptr;
  std::string_view key;
  int64_t numel = 0;
};

// The allow-listed callables.
enum class Callable { OrderedDict, RebuildTensorV2, RebuildParameter };

struct ObjectRef {
  size_t index = 0;  // into Unpickled::objects
};
struct TensorRef {
  size_t index = 0;  // into Unpickled::tensors
};

// Containers and tensors are referenced by index, as pickle shares them through its memo; this keeps
// values cheap to copy and makes cyclic or deeply nested input harmless.
using Value = std::variant<std::monostate, bool, int64_t, double, std::string_view, ObjectRef, TensorRef, Callable,
                           const StorageClass*, Storage>;

struct Object {
  enum class Kind { Tuple, List, Dict };
  Kind kind = Kind::Tuple;
  std::vector<Value> items;                      // Tuple, List
  std::vector<std::pair<Value, Value>> entries;  // Dict and OrderedDict, in insertion order
};

// What torch._utils._rebuild_tensor_v2 would build: a strided view into a storage (offset in elements).
struct TensorView {
  Storage storage;
  int64_t offset = 0;
  Shape shape;
  Shape stride;
};

struct Unpickled {
  Value root;
  std::vector<Object> objects;
  std::vector<TensorView> tensors;

  const Object* dict(const Value& value) const;  // the dict `value` refers to, else nullptr
  const TensorView* tensor(const Value& value) const;
};

// Runs the restricted machine over `bytes` (a whole pickle). Strings in the result point into `bytes`,
// which must outlive it. Errors name `where`, the opcode or global and its byte offset.
Unpickled unpickle(std::span<const std::byte> bytes, const std::string& where);

}  // namespace winclip::detail::pickle
