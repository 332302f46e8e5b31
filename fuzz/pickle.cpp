// The restricted unpickler alone (data.pkl of a torch.save archive): opcodes, memo, marks, globals, REDUCE.
// fuzz dictionary: pickle.dict
#include "checkpoint/pickle_reader.hpp"
#include "support/fuzz_target.hpp"

using namespace winclip;

WINCLIP_FUZZ_TARGET(pickle) {
  constexpr std::string_view kName = "input.pkl";
  fuzz::read_or_refuse(kName, [&] {
    const detail::pickle::Unpickled result = detail::pickle::unpickle(std::as_bytes(bytes), std::string(kName));
    // Every reference the machine hands out must resolve.
    auto valid = [&](const detail::pickle::Value& value) {
      if (const auto* object = std::get_if<detail::pickle::ObjectRef>(&value))
        return object->index < result.objects.size();
      if (const auto* tensor = std::get_if<detail::pickle::TensorRef>(&value))
        return tensor->index < result.tensors.size();
      return true;
    };
    fuzz::check(valid(result.root), "the root refers to no object");
    for (const auto& object : result.objects) {
      for (const auto& item : object.items) fuzz::check(valid(item), "a container item refers to no object");
      for (const auto& [key, value] : object.entries)
        fuzz::check(valid(key) && valid(value), "a dict entry refers to no object");
    }
    for (const auto& tensor : result.tensors)
      fuzz::check(tensor.shape.size() == tensor.stride.size(), "a tensor's size and stride differ in length");
  });
}
