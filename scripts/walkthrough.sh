#!/usr/bin/env bash
# The README walkthrough: record a phase-gate decision through NUIT and EHR
# with portfolioctl, then read the initiative, the decision register and the
# roadmap. Needs a running server (make run) and PORTFOLIO_TOKEN set to the
# secretariat token; builds portfolioctl into bin/ first.
set -euo pipefail
cd "$(dirname "$0")/.."
go build -o bin/ ./cmd/portfolioctl
pctl() { bin/portfolioctl "$@"; }
idof() { awk '{print $2}' | cut -d/ -f2; }
INIT=$(pctl initiatives --q digihelsestasjon -o json | go run ./scripts/jsonget initiatives.0.initiativeId)
CASE=$(pctl council register-case --forum NUIT --type approval --purpose phase_gate \
  --initiative "$INIT" --target-phase planning \
  --title "Faseovergang for DigiHelsestasjon til planlegging" \
  --proposed-resolution "Tiltaket går over i planleggingsfasen." | idof)
NUIT=$(pctl council schedule-meeting --forum NUIT --date "$(date +%F)" | idof)
pctl council place --case "$CASE" --meeting "$NUIT"
pctl council hold --meeting "$NUIT"
pctl council recommend --case "$CASE" --meeting "$NUIT" --resolution "NUIT anbefaler faseovergangen."
EHR=$(pctl council schedule-meeting --forum EHR --date "$(date +%F)" | idof)
pctl council place --case "$CASE" --meeting "$EHR"
pctl council hold --meeting "$EHR"
pctl council approve --case "$CASE" --meeting "$EHR" --resolution "Nasjonalt e-helseråd gir sin tilslutning."
pctl initiative show "$INIT"
pctl council decisions --forum EHR --from "$(date +%F)"
pctl roadmap --q digihelsestasjon
