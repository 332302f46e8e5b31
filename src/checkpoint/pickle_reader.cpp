// The pickle machine of CPython's Lib/pickle.py (protocols 2-5), cut down to what state dicts need. Where
// pickle.load would import a module and call into it (GLOBAL, REDUCE, BUILD, persistent ids), this one only
// maps a handful of known names to data.
#include "checkpoint/pickle_reader.hpp"

#include <bit>
#include <unordered_map>

#include "checkpoint/little_endian.hpp"
#include "core/unicode.hpp"
#include "winclip/error.hpp"

namespace winclip::detail::pickle {
namespace {

constexpr StorageClass kStorageClasses[] = {
    {"FloatStorage", DType::F32, 4, false},  {"HalfStorage", DType::F16, 2, false},
    {"BFloat16Storage", DType::BF16, 2, false}, {"DoubleStorage", std::nullopt, 8, false},
    {"LongStorage", std::nullopt, 8, true},  {"IntStorage", std::nullopt, 4, true},
    {"ShortStorage", std::nullopt, 2, true}, {"CharStorage", std::nullopt, 1, true},
    {"ByteStorage", std::nullopt, 1, true},  {"BoolStorage", std::nullopt, 1, true},
};

constexpr const char* kAllowedGlobals =
    "collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter and the "
    "torch.*Storage classes";

std::optional<Value> resolve_global(std::string_view module, std::string_view name) {
  if (module == "collections" && name == "OrderedDict") return Callable::OrderedDict;
  if (module == "torch._utils" && name == "_rebuild_tensor_v2") return Callable::RebuildTensorV2;
  if (module == "torch._utils" && name == "_rebuild_parameter") return Callable::RebuildParameter;
  if (module == "torch") {
    for (const StorageClass& type : kStorageClasses) {
      if (type.name == name) return &type;
    }
  }
  return std::nullopt;
}

enum Opcode : uint8_t {
  kEmptyTuple = ')', kMark = '(', kStop = '.', kBinFloat = 'G', kBinInt = 'J', kBinInt1 = 'K', kBinInt2 = 'M',
  kNone = 'N', kBinPersId = 'Q', kReduce = 'R', kBinUnicode = 'X', kEmptyList = ']', kAppend = 'a', kBuild = 'b',
  kGlobal = 'c', kAppends = 'e', kBinGet = 'h', kLongBinGet = 'j', kBinPut = 'q', kLongBinPut = 'r',
  kSetItem = 's', kTuple = 't', kSetItems = 'u', kEmptyDict = '}', kProto = 0x80, kTuple1 = 0x85,
  kTuple2 = 0x86, kTuple3 = 0x87, kNewTrue = 0x88, kNewFalse = 0x89, kLong1 = 0x8a, kShortBinUnicode = 0x8c,
  kBinUnicode8 = 0x8d, kStackGlobal = 0x93, kMemoize = 0x94, kFrame = 0x95,
};
constexpr int kHighestProtocol = 5;
// Every value pushed, memoized or marked counts once: together they bound the memory the machine holds (each
// costs up to ~150 bytes with its container and the vectors' spare capacity), whatever repeats of GET,
// MEMOIZE, MARK or empty lists a forged stream is made of. A state dict takes a few tens per tensor: the
// largest open_clip model about 40 000.
constexpr uint64_t kMaxValues = uint64_t{1} << 19;
constexpr size_t kMaxTensorRank = 64;  // CLIP weights have at most 4 dimensions

class Machine {
 public:
  Machine(std::span<const std::byte> bytes, const std::string& where) : bytes_(bytes), where_(where) {}

  Unpickled run() {
    while (pos_ < bytes_.size()) {
      op_pos_ = pos_;
      auto op = take_le<uint8_t>();
      if (op == kStop) {
        if (stack_.empty()) fail("STOP with an empty stack");
        result_.root = stack_.back();
        return std::move(result_);
      }
      execute(op);
    }
    throw Error(where_, "truncated pickle: no STOP opcode");
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw Error(where_, "pickle offset " + std::to_string(op_pos_) + ": " + what);
  }

  std::span<const std::byte> take(uint64_t size) {
    if (size > bytes_.size() - pos_) fail("truncated pickle: operand of " + std::to_string(size) + " bytes");
    auto taken = bytes_.subspan(pos_, static_cast<size_t>(size));
    pos_ += taken.size();
    return taken;
  }
  template <std::integral T>
  T take_le() {
    return load_le<T>(take(sizeof(T)).data());
  }
  std::string_view take_string(uint64_t size) {
    auto raw = take(size);
    std::string_view text(reinterpret_cast<const char*>(raw.data()), raw.size());
    // Strict, as Python decodes pickled str; tensor names end up in JSON headers, which must be UTF-8 too.
    if (!try_decode_utf8(text)) fail("string is not valid UTF-8");
    return text;
  }
  std::string_view take_line() {
    size_t end = pos_;
    while (end < bytes_.size() && bytes_[end] != std::byte{'\n'}) ++end;
    if (end == bytes_.size()) fail("truncated pickle: unterminated GLOBAL name");
    std::string_view line = take_string(end - pos_);
    ++pos_;
    return line;
  }

  // Like Python's unpickler, opcodes only see the stack above the innermost MARK.
  size_t frame_base() const { return marks_.empty() ? 0 : marks_.back(); }
  Value pop() {
    if (stack_.size() <= frame_base()) fail("stack underflow");
    Value value = stack_.back();
    stack_.pop_back();
    return value;
  }
  std::vector<Value> pop_to_mark() {
    if (marks_.empty()) fail("no MARK on the stack");
    std::vector<Value> items(stack_.begin() + static_cast<std::ptrdiff_t>(marks_.back()), stack_.end());
    stack_.resize(marks_.back());
    marks_.pop_back();
    return items;
  }
  void count_value() {
    if (++values_ > kMaxValues)
      fail("more than " + std::to_string(kMaxValues) + " values; not a state dict (refusing to grow further)");
  }
  void push(Value value) {
    count_value();
    stack_.push_back(std::move(value));
  }
  void push_object(Object::Kind kind, std::vector<Value> items = {}) {
    result_.objects.push_back(Object{kind, std::move(items), {}});
    push(ObjectRef{result_.objects.size() - 1});
  }
  // The container on top of the stack, which APPEND/SETITEM/BUILD modify in place.
  Object& top_object(Object::Kind kind, const char* opcode) {
    const ObjectRef* ref = stack_.size() > frame_base() ? std::get_if<ObjectRef>(&stack_.back()) : nullptr;
    if (!ref || result_.objects[ref->index].kind != kind) {
      fail(std::string(opcode) + " needs a " + (kind == Object::Kind::List ? "list" : "dict") + " on the stack");
    }
    return result_.objects[ref->index];
  }
  const Object& tuple(const Value& value, const char* what) const {
    const ObjectRef* ref = std::get_if<ObjectRef>(&value);
    if (!ref || result_.objects[ref->index].kind != Object::Kind::Tuple) fail(std::string(what) + " is not a tuple");
    return result_.objects[ref->index];
  }
  int64_t integer(const Value& value, const char* what) const {
    const int64_t* number = std::get_if<int64_t>(&value);
    if (!number) fail(std::string(what) + " is not an integer");
    return *number;
  }
  Shape int_tuple(const Value& value, const char* what) const {
    Shape numbers;
    for (const Value& item : tuple(value, what).items) numbers.push_back(integer(item, what));
    return numbers;
  }
  const Value& memo_get(uint64_t key) const {
    auto found = memo_.find(key);
    if (found == memo_.end()) fail("memo key " + std::to_string(key) + " was never stored");
    return found->second;
  }
  void memo_put(uint64_t key) {
    if (stack_.size() <= frame_base()) fail("memoizing from an empty stack");
    count_value();
    memo_[key] = stack_.back();
  }

  void execute(uint8_t op);
  Value reduce(const Value& callable, const Value& arguments);
  Value rebuild_tensor(const Object& arguments);
  Value persistent_storage(const Value& id);
  void global(std::string_view module, std::string_view name);

  std::span<const std::byte> bytes_;
  const std::string& where_;
  size_t pos_ = 0;
  size_t op_pos_ = 0;
  std::vector<Value> stack_;
  std::vector<size_t> marks_;  // stack heights at each MARK
  std::unordered_map<uint64_t, Value> memo_;
  uint64_t values_ = 0;
  Unpickled result_;
};

void Machine::execute(uint8_t op) {
  switch (op) {
    case kProto:
      if (take_le<uint8_t>() > kHighestProtocol) fail("unsupported pickle protocol");
      return;
    case kFrame:  // protocol 4 framing only chunks the stream for buffered reading
      if (take_le<uint64_t>() > bytes_.size() - pos_) fail("truncated pickle: frame past the end");
      return;
    case kMark:
      count_value();
      marks_.push_back(stack_.size());
      return;
    case kEmptyTuple: push_object(Object::Kind::Tuple); return;
    case kEmptyList: push_object(Object::Kind::List); return;
    case kEmptyDict: push_object(Object::Kind::Dict); return;
    case kTuple: push_object(Object::Kind::Tuple, pop_to_mark()); return;
    case kTuple1:
    case kTuple2:
    case kTuple3: {
      std::vector<Value> items(op - kTuple1 + 1);
      for (auto item = items.rbegin(); item != items.rend(); ++item) *item = pop();
      push_object(Object::Kind::Tuple, std::move(items));
      return;
    }
    case kAppend: {
      Value item = pop();
      top_object(Object::Kind::List, "APPEND").items.push_back(item);
      return;
    }
    case kAppends: {
      std::vector<Value> items = pop_to_mark();
      auto& list = top_object(Object::Kind::List, "APPENDS").items;
      list.insert(list.end(), items.begin(), items.end());
      return;
    }
    case kSetItem: {
      Value value = pop();
      Value key = pop();
      top_object(Object::Kind::Dict, "SETITEM").entries.emplace_back(key, value);
      return;
    }
    case kSetItems: {
      std::vector<Value> items = pop_to_mark();
      if (items.size() % 2 != 0) fail("SETITEMS with an odd number of items");
      auto& entries = top_object(Object::Kind::Dict, "SETITEMS").entries;
      for (size_t i = 0; i < items.size(); i += 2) entries.emplace_back(items[i], items[i + 1]);
      return;
    }
    case kBinUnicode: push(take_string(take_le<uint32_t>())); return;
    case kShortBinUnicode: push(take_string(take_le<uint8_t>())); return;
    case kBinUnicode8: push(take_string(take_le<uint64_t>())); return;
    case kBinInt: push(int64_t{take_le<int32_t>()}); return;
    case kBinInt1: push(int64_t{take_le<uint8_t>()}); return;
    case kBinInt2: push(int64_t{take_le<uint16_t>()}); return;
    case kLong1: {  // little-endian two's complement of any length; anything wider than 64 bits is refused
      auto digits = take(take_le<uint8_t>());
      if (digits.size() > 8) fail("integer wider than 64 bits");
      uint64_t bits = 0;
      for (size_t i = 0; i < digits.size(); ++i) bits |= uint64_t(std::to_integer<uint8_t>(digits[i])) << (8 * i);
      if (!digits.empty() && digits.size() < 8 && (std::to_integer<uint8_t>(digits.back()) & 0x80)) {
        bits |= ~uint64_t{0} << (8 * digits.size());
      }
      push(static_cast<int64_t>(bits));
      return;
    }
    case kBinFloat: {  // big-endian IEEE double
      uint64_t bits = 0;
      for (std::byte b : take(8)) bits = (bits << 8) | std::to_integer<uint8_t>(b);
      push(std::bit_cast<double>(bits));
      return;
    }
    case kNone: push(std::monostate{}); return;
    case kNewTrue: push(true); return;
    case kNewFalse: push(false); return;
    case kBinPut: memo_put(take_le<uint8_t>()); return;
    case kLongBinPut: memo_put(take_le<uint32_t>()); return;
    case kMemoize: memo_put(memo_.size()); return;
    case kBinGet: push(memo_get(take_le<uint8_t>())); return;
    case kLongBinGet: push(memo_get(take_le<uint32_t>())); return;
    case kGlobal: {
      std::string_view module = take_line();
      global(module, take_line());
      return;
    }
    case kStackGlobal: {
      Value name = pop();
      Value module = pop();
      if (!std::holds_alternative<std::string_view>(module) || !std::holds_alternative<std::string_view>(name)) {
        fail("STACK_GLOBAL needs two strings");
      }
      global(std::get<std::string_view>(module), std::get<std::string_view>(name));
      return;
    }
    case kReduce: {
      Value arguments = pop();
      Value callable = pop();
      push(reduce(callable, arguments));
      return;
    }
    case kBuild:  // an OrderedDict's state is its `_metadata` attribute (module versions), not weights
      pop();
      top_object(Object::Kind::Dict, "BUILD");
      return;
    case kBinPersId: push(persistent_storage(pop())); return;
    default: {
      static constexpr char kHex[] = "0123456789abcdef";
      std::string name = {'0', 'x', kHex[op >> 4], kHex[op & 0xf]};
      if (op >= 0x20 && op < 0x7f) name += std::string(" ('") + static_cast<char>(op) + "')";
      fail("refusing pickle opcode " + name + ": not part of the state-dict subset this reader accepts");
    }
  }
}

void Machine::global(std::string_view module, std::string_view name) {
  std::optional<Value> value = resolve_global(module, name);
  if (!value) {
    fail("refusing global '" + std::string(module) + "." + std::string(name) +
         "': a checkpoint may only reference " + kAllowedGlobals + " (loading never runs code)");
  }
  push(*value);
}

Value Machine::reduce(const Value& callable, const Value& arguments) {
  const Callable* function = std::get_if<Callable>(&callable);
  if (!function) fail("REDUCE of something that is not an allow-listed callable");
  const Object& args = tuple(arguments, "REDUCE arguments");
  switch (*function) {
    case Callable::OrderedDict:
      if (!args.items.empty()) fail("OrderedDict() with arguments");
      result_.objects.push_back(Object{Object::Kind::Dict, {}, {}});
      return ObjectRef{result_.objects.size() - 1};
    case Callable::RebuildParameter:  // (data, requires_grad, backward_hooks): the data is the tensor
      if (args.items.size() != 3 || !std::holds_alternative<TensorRef>(args.items[0])) {
        fail("_rebuild_parameter needs (tensor, requires_grad, hooks)");
      }
      return args.items[0];
    case Callable::RebuildTensorV2: return rebuild_tensor(args);
  }
  fail("unknown callable");
}

// _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]);
// autograd flags, hooks and metadata do not change the values.
Value Machine::rebuild_tensor(const Object& args) {
  if (args.items.size() != 6 && args.items.size() != 7) fail("_rebuild_tensor_v2 needs 6 or 7 arguments");
  const Storage* storage = std::get_if<Storage>(&args.items[0]);
  if (!storage) fail("_rebuild_tensor_v2 needs a storage (persistent id) as first argument");
  // Checked before copying: one memoized tuple of a million sizes, reused by every tensor, would cost
  // megabytes per five bytes of pickle.
  for (size_t i : {size_t{2}, size_t{3}})
    if (tuple(args.items[i], "tensor size and stride").items.size() > kMaxTensorRank)
      fail("tensor with more than " + std::to_string(kMaxTensorRank) + " dimensions");
  TensorView view{*storage, integer(args.items[1], "storage offset"), int_tuple(args.items[2], "tensor size"),
                  int_tuple(args.items[3], "tensor stride")};
  if (view.shape.size() != view.stride.size()) fail("tensor size and stride have different lengths");
  result_.tensors.push_back(std::move(view));
  return TensorRef{result_.tensors.size() - 1};
}

// torch.save's persistent id of a storage: ('storage', storage class, key, location, numel).
Value Machine::persistent_storage(const Value& id) {
  const auto& fields = tuple(id, "persistent id").items;
  const auto* kind = fields.size() == 5 ? std::get_if<std::string_view>(&fields[0]) : nullptr;
  const auto* type = kind ? std::get_if<const StorageClass*>(&fields[1]) : nullptr;
  const auto* key = type ? std::get_if<std::string_view>(&fields[2]) : nullptr;
  if (!key || *kind != "storage") fail("persistent id is not ('storage', torch.<Type>Storage, key, location, numel)");
  int64_t numel = integer(fields[4], "storage size");
  if (numel < 0) fail("negative storage size");
  return Storage{*type, *key, numel};
}

}  // namespace

const Object* Unpickled::dict(const Value& value) const {
  const ObjectRef* ref = std::get_if<ObjectRef>(&value);
  return ref && objects[ref->index].kind == Object::Kind::Dict ? &objects[ref->index] : nullptr;
}

const TensorView* Unpickled::tensor(const Value& value) const {
  const TensorRef* ref = std::get_if<TensorRef>(&value);
  return ref ? &tensors[ref->index] : nullptr;
}

Unpickled unpickle(std::span<const std::byte> bytes, const std::string& where) {
  return Machine(bytes, where).run();
}

}  // namespace winclip::detail::pickle
