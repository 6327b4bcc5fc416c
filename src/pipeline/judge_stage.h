// The judge stage: a RecordSink between the scan's stages and its outputs. It passes every
// record on at once, except a device's `device` record and its findings, which it holds until
// the device is complete (device_done): then it writes the device record with its connection
// form, the findings re-scored by the risk table plus the policy's own (unneeded-port-open,
// port-forwarded-service...), and one `verdict` per requirement.
//
// Connection form: stated (`EvalOptions::connection_form`, for devices with none) unless
// measured. A UPnP gateway's mapping table (the `upnp.mappings` evidence of an ssdp service)
// proves port_forwarded for each device it points to. A gateway may be identified after the
// devices it forwards to; with `hold` set (a LAN-sized scan) no device is judged before
// finish(), so every mapping reaches its device. Without it (surveys), a mapping to a device
// already judged is written as a late `port-forwarded-service` finding, without re-judging.
// Thread-safe: the stages call write() from their own threads.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "policy/evaluate.h"
#include "report/writers.h"

namespace mamori {

struct JudgeStageOptions {
  bool hold = false;    // judge every device at finish(), not as it completes
  std::string vantage;  // goes into `reachable_from` of every device record ("" = none)
};

class JudgeStage : public RecordSink {
 public:
  // `next` receives everything; the catalogs and options must outlive this object.
  JudgeStage(RecordSink& next, const policy::PolicyCatalog& policy, const CheckCatalog& checks,
             policy::EvalOptions options, JudgeStageOptions stage = {});

  void write(const nlohmann::json& record) override;
  // The device at `ip` has no more records coming: judge it and write the result (with
  // `hold`: at finish()).
  void device_done(const std::string& ip);
  // Judges the devices held for it (with `hold`), then writes the findings of mappings to
  // devices that were never judged (not scanned, or judged before the mapping was known).
  void finish();
  // The scan ends (or was interrupted): devices never completed get their findings written,
  // re-scored, but no verdicts (their evidence is incomplete). Returns how many such devices.
  size_t flush_incomplete();

  // Called after a device is judged (on the caller's thread of device_done), e.g. for a table.
  std::function<void(const std::string& ip, const policy::Judgement&)> on_judged;

  uint64_t verdicts() const;
  uint64_t findings() const;

 private:
  void emit(const std::string& ip, policy::DeviceRecords&& d, bool with_verdicts);
  void judge_locked(const std::string& ip);
  void emit_orphan_forwards_locked(const std::string& ip);

  RecordSink& next_;
  const policy::PolicyCatalog& policy_;
  const CheckCatalog& checks_;
  policy::EvalOptions options_;
  JudgeStageOptions stage_;
  mutable std::mutex mu_;
  std::string scan_id_;
  std::map<std::string, policy::DeviceRecords> devices_;
  std::vector<std::string> done_;                                // with `hold`: judged at finish()
  std::map<std::string, std::vector<policy::Forward>> forwards_;  // by internal client
  std::set<std::string> judged_;
  uint64_t verdicts_ = 0;
  uint64_t findings_ = 0;
};

}  // namespace mamori
