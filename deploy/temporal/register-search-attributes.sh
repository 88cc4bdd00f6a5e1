#!/bin/sh
# One-shot (the temporal-admin-tools service): waits for the Temporal frontend and the
# namespace, then registers the Keyword search attributes Tidings sets on its workflows.
# Safe to run again: "already exists" counts as done.
set -eu

address="${TEMPORAL_ADDRESS:-temporal:7233}"
namespace="${TEMPORAL_NAMESPACE:-default}"

echo "waiting for Temporal at $address …"
tries=0
until temporal operator cluster health --address "$address" >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -ge 90 ]; then
    echo "Temporal at $address did not become healthy" >&2
    exit 1
  fi
  sleep 2
done

for name in TidingsOrganizationId TidingsRecipientId TidingsMessageId TidingsConversationId \
  TidingsMemberId TidingsAssigneeId TidingsProgramId TidingsTaskStatus TidingsCampaignId; do
  tries=0
  while :; do
    if out=$(temporal operator search-attribute create --name "$name" --type Keyword \
      --address "$address" --namespace "$namespace" 2>&1); then
      echo "registered search attribute $name"
      break
    fi
    case "$out" in
      *"already exists"* | *"AlreadyExists"* | *"already registered"*)
        echo "search attribute $name already exists"
        break
        ;;
    esac
    tries=$((tries + 1))
    if [ "$tries" -ge 30 ]; then
      echo "could not register search attribute $name: $out" >&2
      exit 1
    fi
    # Usually the namespace is not registered yet (auto-setup does that after start).
    sleep 2
  done
done
temporal operator search-attribute list --address "$address" --namespace "$namespace"
