// The judge stage: a RecordSink between the scan's stages and its outputs. It passes every
// record on at once, except findings, which it holds per device; when a device is complete
// (device_done) it re-scores the device's findings by the risk table, adds the policy's own
// (unneeded-port-open), writes them and one `verdict` per requirement. Device records get the
// connection form. Thread-safe: the stages call write() from their own threads.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "policy/evaluate.h"
#include "report/writers.h"

namespace mamori {

class JudgeStage : public RecordSink {
 public:
  // `next` receives everything; the catalogs and options must outlive this object.
  JudgeStage(RecordSink& next, const policy::PolicyCatalog& policy, const CheckCatalog& checks,
             policy::EvalOptions options);

  void write(const nlohmann::json& record) override;
  // The device at `ip` has no more records coming: judge it and write the result.
  void device_done(const std::string& ip);
  // The scan ends (or was interrupted): devices never completed get their findings written,
  // re-scored, but no verdicts (their evidence is incomplete). Returns how many such devices.
  size_t flush_incomplete();

  // Called after a device is judged (on the caller's thread of device_done), e.g. for a table.
  std::function<void(const std::string& ip, const policy::Judgement&)> on_judged;

  uint64_t verdicts() const;
  uint64_t findings() const;

 private:
  void emit(const std::string& ip, policy::DeviceRecords&& d, bool with_verdicts);

  RecordSink& next_;
  const policy::PolicyCatalog& policy_;
  const CheckCatalog& checks_;
  policy::EvalOptions options_;
  mutable std::mutex mu_;
  std::string scan_id_;
  std::map<std::string, policy::DeviceRecords> devices_;
  uint64_t verdicts_ = 0;
  uint64_t findings_ = 0;
};

}  // namespace mamori
