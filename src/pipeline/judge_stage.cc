#include "pipeline/judge_stage.h"

namespace mamori {

JudgeStage::JudgeStage(RecordSink& next, const policy::PolicyCatalog& policy, const CheckCatalog& checks,
                       policy::EvalOptions options)
    : next_(next), policy_(policy), checks_(checks), options_(std::move(options)) {}

void JudgeStage::write(const nlohmann::json& record) {
  const std::string type = record.value("type", "");
  const std::string ip = record.contains("ip") && record["ip"].is_string() ? record["ip"].get<std::string>() : "";
  {
    std::lock_guard lock(mu_);
    if (scan_id_.empty() && record.contains("scan_id") && record["scan_id"].is_string()) {
      scan_id_ = record["scan_id"].get<std::string>();
    }
    if (type == "verdict") return;  // re-judged here; never passed through twice
    if (!ip.empty()) {
      auto& d = devices_[ip];
      if (type == "finding") {
        d.findings.push_back(record);
        return;  // held until the device is done
      }
      if (type == "device") {
        d.device = record;
        if (!d.device.contains("connection_form")) d.device["connection_form"] = options_.connection_form;
      } else if (type == "service") {
        d.services.push_back(record);
      } else if (type == "credential") {
        d.credentials.push_back(record);
      } else if (type == "tls") {
        d.tls.push_back(record);
      }
      if (type == "device") {
        nlohmann::json copy = d.device;
        // Pass on outside the lock would reorder records of one device; the sinks are quick.
        next_.write(copy);
        return;
      }
    }
  }
  next_.write(record);
}

void JudgeStage::emit(const std::string& ip, policy::DeviceRecords&& d, bool with_verdicts) {
  if (d.device.is_null() && d.services.empty() && d.findings.empty()) return;  // a port-only host
  auto j = policy::judge_device(policy_, checks_, d, options_, scan_id_);
  for (const auto& f : j.findings) next_.write(f);
  findings_ += j.findings.size();
  if (with_verdicts) {
    for (const auto& v : j.verdicts) next_.write(v);
    verdicts_ += j.verdicts.size();
    if (on_judged) on_judged(ip, j);
  }
}

void JudgeStage::device_done(const std::string& ip) {
  std::lock_guard lock(mu_);
  auto it = devices_.find(ip);
  if (it == devices_.end()) return;
  policy::DeviceRecords d = std::move(it->second);
  devices_.erase(it);
  emit(ip, std::move(d), true);
}

size_t JudgeStage::flush_incomplete() {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (auto& [ip, d] : devices_) {
    if (!d.findings.empty()) ++n;
    emit(ip, std::move(d), false);
  }
  devices_.clear();
  return n;
}

uint64_t JudgeStage::verdicts() const {
  std::lock_guard lock(mu_);
  return verdicts_;
}

uint64_t JudgeStage::findings() const {
  std::lock_guard lock(mu_);
  return findings_;
}

}  // namespace mamori
