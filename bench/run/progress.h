// The run's progress on stderr: `[done/total] case rep r/n  elapsed  eta`, one line per
// repetition, redrawn in place on a terminal; and the guess of a repetition's time behind it.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "bench/config/config.h"

namespace daxbench {

// m:ss
std::string clock_text(double seconds);

// A guess of a repetition's wall time (warm-up, timed phase, fio's run after it).
double expected_seconds(const CaseSpec& spec);

class Progress {
 public:
  // The cases this process runs, each for its `repetitions`.
  // `only_repetition` >= 0: a lab guest's round runs that repetition alone (RunOptions).
  explicit Progress(const std::vector<const CaseSpec*>& cases, int only_repetition = -1);

  // A repetition starts: counts it, prints its line with the ETA corrected by the pace so far.
  void repetition(const CaseSpec& spec, int rep, int reps);
  // fio's run of the same repetition starts.
  void fio_repetition(const CaseSpec& spec, int rep, int reps) const;
  // Runs finished elsewhere (the lab's guest), for the closing count.
  void add_done(int runs) { done_ += runs; }

  int done() const { return done_; }
  // Whether stderr redraws lines in place: a message must then start on a line of its own.
  bool tty() const { return tty_; }
  double elapsed_s() const;

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  int total_runs_ = 0;
  double expected_total_ = 0;
  int done_ = 0;
  double expected_done_ = 0;
  bool tty_ = false;
};

}  // namespace daxbench
