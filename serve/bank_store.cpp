#include "serve/bank_store.hpp"

#include <algorithm>
#include <iostream>

#include "serve/request_parsing.hpp"
#include "winclip/error.hpp"

namespace winclip::serve {

BankStore::BankStore(std::filesystem::path dir, std::shared_ptr<const ClipModel> model, DetectorOptions base)
    : dir_(std::move(dir)), model_(std::move(model)), base_(std::move(base)) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec || !std::filesystem::is_directory(dir_))
    throw Error(dir_.string(), "cannot create the bank directory: " + ec.message());
}

std::filesystem::path BankStore::path_of(const std::string& name) const { return dir_ / (name + ".bank"); }

Detector BankStore::load_detector(const std::string& name) const {
  return detector_from_bank(model_, path_of(name), base_);
}

std::shared_ptr<const StoredBank> BankStore::get(const std::string& name) {
  const auto path = path_of(name);
  std::error_code ec;
  const auto modified = std::filesystem::last_write_time(path, ec);
  if (ec) {
    std::lock_guard lock(mutex_);
    loaded_.erase(name);
    return nullptr;
  }
  const auto size = std::filesystem::file_size(path, ec);
  {
    std::lock_guard lock(mutex_);
    if (const auto it = loaded_.find(name);
        it != loaded_.end() && it->second.modified == modified && it->second.size == size)
      return it->second.bank;
  }
  // Loaded outside the lock: two requests may load a changed bank at once; both get a correct one.
  BankFile file = load_bank_file(path);
  auto bank = std::make_shared<StoredBank>();
  bank->name = name;
  bank->calibration = file.calibration;
  bank->detector = std::make_shared<const Detector>(detector_from_bank(model_, std::move(file), base_, path.string()));
  std::lock_guard lock(mutex_);
  loaded_[name] = {modified, size, bank};
  return bank;
}

std::vector<std::shared_ptr<const StoredBank>> BankStore::list() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    const auto& path = entry.path();
    if (path.extension() == ".bank" && valid_bank_name(path.stem().string()) && entry.is_regular_file(ec))
      names.push_back(path.stem().string());
  }
  std::sort(names.begin(), names.end());
  std::vector<std::shared_ptr<const StoredBank>> banks;
  for (const auto& name : names) {
    try {
      if (auto bank = get(name)) banks.push_back(std::move(bank));
    } catch (const Error& e) {
      std::cerr << "winclip serve: bank '" << name << "' left out of the list: " << e.what() << "\n";
    }
  }
  return banks;
}

std::shared_ptr<const StoredBank> BankStore::put(const std::string& name, Detector detector) {
  const auto path = path_of(name);
  save_bank_file(path, detector.bank_file());
  auto bank = std::make_shared<StoredBank>();
  bank->name = name;
  bank->detector = std::make_shared<const Detector>(std::move(detector));
  std::error_code ec;
  const auto modified = std::filesystem::last_write_time(path, ec);
  const auto size = std::filesystem::file_size(path, ec);
  std::lock_guard lock(mutex_);
  loaded_[name] = {modified, size, bank};
  return bank;
}

bool BankStore::remove(const std::string& name) {
  std::lock_guard lock(mutex_);
  loaded_.erase(name);
  std::error_code ec;
  return std::filesystem::remove(path_of(name), ec);
}

}  // namespace winclip::serve
