#include "pipeline/judge_stage.h"

#include <algorithm>

namespace mamori {

JudgeStage::JudgeStage(RecordSink& next, const policy::PolicyCatalog& policy, const CheckCatalog& checks,
                       policy::EvalOptions options, JudgeStageOptions stage)
    : next_(next), policy_(policy), checks_(checks), options_(std::move(options)), stage_(std::move(stage)) {}

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
        d.device = record;  // held: its connection form is decided when it is judged
        return;
      }
      if (type == "service") {
        d.services.push_back(record);
        for (auto& f : policy::forwards_from_service(record)) {
          const std::string client = f.internal_client;
          auto& list = forwards_[client];
          if (std::find(list.begin(), list.end(), f) == list.end()) list.push_back(std::move(f));
          if (judged_.count(client)) emit_orphan_forwards_locked(client);  // judged before we knew
        }
      } else if (type == "credential") {
        d.credentials.push_back(record);
      } else if (type == "tls") {
        d.tls.push_back(record);
      }
    }
    // Passed on under the lock: outside it, records of one device could be reordered.
    next_.write(record);
  }
}

void JudgeStage::emit(const std::string& ip, policy::DeviceRecords&& d, bool with_verdicts) {
  if (d.device.is_null() && d.services.empty() && d.findings.empty()) return;  // a port-only host
  if (auto fw = forwards_.find(ip); fw != forwards_.end()) {
    d.forwards = std::move(fw->second);
    forwards_.erase(fw);
  }
  judged_.insert(ip);
  auto j = policy::judge_device(policy_, checks_, d, options_, scan_id_);
  if (!d.device.is_null()) {
    nlohmann::json dev = d.device;
    dev["connection_form"] = j.connection_form;
    if (!j.connection_form_reason.empty()) dev["connection_form_reason"] = j.connection_form_reason;
    if (!stage_.vantage.empty()) {
      if (!dev.contains("reachable_from") || !dev["reachable_from"].is_array()) dev["reachable_from"] = nlohmann::json::array();
      auto& r = dev["reachable_from"];
      if (std::find(r.begin(), r.end(), stage_.vantage) == r.end()) r.push_back(stage_.vantage);
    }
    next_.write(dev);
  }
  for (const auto& f : j.findings) next_.write(f);
  findings_ += j.findings.size();
  if (with_verdicts) {
    for (const auto& v : j.verdicts) next_.write(v);
    verdicts_ += j.verdicts.size();
    if (on_judged) on_judged(ip, j);
  }
}

// Mappings to a device that is not (or no longer) held: its findings alone, scored as
// port_forwarded, without verdicts (the device was judged without them, or never scanned).
void JudgeStage::emit_orphan_forwards_locked(const std::string& ip) {
  auto fw = forwards_.find(ip);
  if (fw == forwards_.end()) return;
  policy::DeviceRecords d;
  d.device = {{"type", "device"}, {"ip", ip}, {"category", "unknown"}, {"connection_form", "port_forwarded"}};
  d.forwards = std::move(fw->second);
  forwards_.erase(fw);
  auto j = policy::judge_device(policy_, checks_, d, options_, scan_id_);
  for (const auto& f : j.findings) {
    if (f.value("check_id", "") != "port-forwarded-service") continue;
    next_.write(f);
    ++findings_;
  }
}

void JudgeStage::judge_locked(const std::string& ip) {
  auto it = devices_.find(ip);
  if (it == devices_.end()) return;
  policy::DeviceRecords d = std::move(it->second);
  devices_.erase(it);
  emit(ip, std::move(d), true);
}

void JudgeStage::device_done(const std::string& ip) {
  std::lock_guard lock(mu_);
  if (stage_.hold) {
    if (devices_.count(ip)) done_.push_back(ip);
    return;
  }
  judge_locked(ip);
}

void JudgeStage::finish() {
  std::lock_guard lock(mu_);
  for (const auto& ip : done_) judge_locked(ip);
  done_.clear();
  std::vector<std::string> rest;
  for (const auto& [ip, list] : forwards_) {
    if (!devices_.count(ip)) rest.push_back(ip);
  }
  for (const auto& ip : rest) emit_orphan_forwards_locked(ip);
}

size_t JudgeStage::flush_incomplete() {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (auto& [ip, d] : devices_) {
    if (!d.findings.empty()) ++n;
    emit(ip, std::move(d), false);
  }
  devices_.clear();
  done_.clear();
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
