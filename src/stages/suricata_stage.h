// Built-in hook stage `packet-capture hook suricata FILE`: hands a finished capture file to
// Suricata, in one of two ways.
//
// Socket mode (default): Suricata runs with `--unix-socket`; the stage connects to its command
// socket, says `{"version":"0.2"}`, expects `{"return":"OK"}`, then sends
// `{"command":"pcap-file","arguments":{"filename":ABS,"output-dir":ABS}}` and expects
// `"return":"OK"` (Suricata queues the file and logs its alerts into output-dir). Replies are
// read as JSON values, not lines: Suricata ends a reply with a newline only after the version
// handshake, and a reply may arrive in pieces.
//
// Continuous mode (`--continuous-dir DIR`): Suricata runs `-r DIR --pcap-file-continuous` and
// reads every regular file that appears in DIR. The stage hard-links the finished file into DIR
// under its own name (no copy, no partial file). Across filesystems (EXDEV) it copies into an
// unnamed O_TMPFILE in DIR, fsyncs and only then links it to its name, so Suricata never sees a
// partial file; where O_TMPFILE is not supported the copy is written inside the hidden
// subdirectory DIR/.packet-capture.tmp (Suricata skips directories, but not dotfiles: a hidden
// *file* in DIR would be read) and renamed into DIR. A file of that name already present with
// the same content (same inode, or identical bytes) counts as success, so a retry is
// idempotent; different content is a failure and is never overwritten.
// Suricata only reads files whose mtime is newer than its previous directory scan, so a fresh
// hard link gets mtime "now" (the ring file shares that inode): a file handed over after a
// backlog or a retry would otherwise be skipped silently.
//
// Exit status (hook contract): 0 done; 75 Suricata not reachable, busy, or silent past the
// timeout, or a temporary local error (ENOSPC) -> the pipeline retries later; 1 Suricata
// rejected this file, or the file cannot be handed over; 78 bad settings; 64 bad usage.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <variant>

#include "config/stage_settings.h"
#include "hooks/hook_environment.h"
#include "stages/stage_outcome.h"
#include "stages/suricata_client.h"
#include "stages/suricata_continuous.h"

namespace pcap_ring {

// The subcommand's flags as given; empty = not given.
struct SuricataFlags {
  std::string socket;
  std::string output_dir;
  std::string continuous_dir;
  std::string timeout;
  std::string config_dir;
};

// Layers, lowest first: defaults, <config_dir>/packet-capture.conf [suricata],
// <config_dir>/<interface>.conf [suricata], SURICATA_SOCKET / SURICATA_CONTINUOUS_DIR, flags.
// config_dir: flag, else CONFIG_DIR, else the built-in directory. An empty value in a layer resets
// the key to its default (so IFACE.conf can switch continuous mode off again). Paths from files
// and the environment must be absolute; relative flag paths are taken from the current
// directory. Throws StartupError: 64 for a bad flag, 78 for everything else.
SuricataSettings load_suricata_settings(const SuricataFlags& flags, const std::string& interface_name,
                                        const std::map<std::string, std::string>& environment);
// The same with the flags given by setting name (the settings table's rows for [suricata]).
SuricataSettings load_suricata_settings(const std::map<std::string, std::string>& flags,
                                        const std::string& interface_name, const Environment& environment);

// Socket mode. `file` and settings.output_dir must be absolute.
StageOutcome submit_to_suricata_socket(const std::string& file, const SuricataSettings& settings);

// Checks the settings against the mode, hands the file over, logs the outcome and returns
// the exit status. Runs through the stage runner: settings that cannot work (no output_dir
// in socket mode, missing directories) give 78 with one line.
int run_suricata_stage(const HookFileInfo& file, const SuricataSettings& settings);


}  // namespace pcap_ring
