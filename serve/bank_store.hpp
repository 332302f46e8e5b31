#pragma once
// The banks of POST/GET/DELETE /v1/banks: files <dir>/<name>.bank in the `winclip bank build` format, so that
// they survive a restart and `winclip detect --bank` reads them; banks copied into the folder by hand are
// served too. Each is loaded once (again when its file changes) into a Detector that requests share.
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "winclip/detector.hpp"

namespace winclip::serve {

struct StoredBank {
  std::string name;
  std::shared_ptr<const Detector> detector;
  std::optional<BankCalibration> calibration;
};

class BankStore {
 public:
  // `base`: the options of every bank's Detector but its class, templates and naming (the bank's own).
  BankStore(std::filesystem::path dir, std::shared_ptr<const ClipModel> model, DetectorOptions base);

  std::filesystem::path path_of(const std::string& name) const;  // name: valid_bank_name
  // nullptr when there is no such bank; Error when its file is unreadable or was built with another model.
  std::shared_ptr<const StoredBank> get(const std::string& name);
  // The banks this model can use, by name (files it cannot read are left out).
  std::vector<std::shared_ptr<const StoredBank>> list();
  // Saves the Detector's bank atomically under `name`, replacing one of that name.
  std::shared_ptr<const StoredBank> put(const std::string& name, Detector detector);
  bool remove(const std::string& name);  // false when there was none
  // A new Detector from the bank's file, for a request that adds references of its own.
  Detector load_detector(const std::string& name) const;

 private:
  struct Entry {
    std::filesystem::file_time_type modified;
    uintmax_t size = 0;
    std::shared_ptr<const StoredBank> bank;
  };

  std::filesystem::path dir_;
  std::shared_ptr<const ClipModel> model_;
  DetectorOptions base_;
  std::mutex mutex_;
  std::map<std::string, Entry> loaded_;
};

}  // namespace winclip::serve
