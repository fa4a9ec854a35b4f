#!/bin/sh
# gen-completion.sh SOCKIT REGISTRY TEMPLATE — print the bash or zsh
# completion script: TEMPLATE (completion/sockit.bash.in or _sockit.in)
# with its @TABLES@ line replaced by tables made from what the built
# binary says (`sockit --help`, `sockit SUB --help`) and the service
# table (services/registry.c), so the completion never lists an option
# the binary does not have.
set -eu
sockit=$1 registry=$2 template=$3
awkprog=$(dirname "$0")/help-options.awk

# Subcommands: the "commands:" block of `sockit --help`.
cmds=$("$sockit" --help | awk '/^commands:/ { on = 1; next }
	on && /^  [a-z]/ { print $1 } on && /^$/ { exit }')
# Services: the entries of svc_all[] (svc_NAME is the service NAME).
services=$(awk '/svc_all\[\] *= *\{/ { on = 1; next } on && /NULL/ { exit }
	on { gsub(/[&,[:space:]]/, ""); sub(/^svc_/, ""); if ($0 != "") print }' "$registry")

tables() {
	echo "_sockit_commands='$(echo $cmds)'"
	echo "_sockit_services='$(echo $services)'"
	for c in $cmds; do
		v=$(echo "$c" | tr -c 'a-z0-9\n' '_')
		opts=$("$sockit" "$c" --help 2>/dev/null | awk -f "$awkprog" || true)
		echo "_sockit_opts_$v='$(echo "$opts" | awk '{ print $1 }' | tr '\n' ' ' | sed 's/ $//')'"
		echo "_sockit_argopts_$v='$(echo "$opts" | awk 'NF == 2 { print $1 }' | tr '\n' ' ' | sed 's/ $//')'"
		echo "_sockit_fileopts_$v='$(echo "$opts" | awk '$2 ~ /^(FILE|PATH|DIR)$/ { print $1 }' | tr '\n' ' ' | sed 's/ $//')'"
	done
}

t=$(mktemp)
trap 'rm -f "$t"' EXIT
tables > "$t"
awk -v tables="$t" '/^@TABLES@$/ { while ((getline l < tables) > 0) print l; next } { print }' "$template"
