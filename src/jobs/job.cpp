#include "jobs/job.hpp"

namespace cambista::jobs {

std::string_view JobStateName(JobState state) {
  switch (state) {
    case JobState::kReady:
      return "ready";
    case JobState::kRunning:
      return "running";
    case JobState::kDone:
      return "done";
    case JobState::kDead:
      return "dead";
  }
  return "unknown";
}

}  // namespace cambista::jobs
