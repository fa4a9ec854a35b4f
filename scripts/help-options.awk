# help-options.awk — the options a `sockit SUB --help` text documents, one
# per line as "OPTION[ VALUE]" (VALUE: the placeholder after it, as in
# "--config FILE").  An option line is one indented by 1-8 spaces whose
# text starts with '-'; deeper-indented lines are descriptions, skipped.
# Two spaces or more separate an option spec from its description (and,
# in the sockets help, from a second column's spec).  In a spec every -x
# and --long counts, and in "-c, --config FILE" the short option shares
# the long one's value.  In a description an option counts only where it
# is named as one: followed by , : ) or /, or after ( or / (nc's
# "UDP; -U, --unix: HOST is a path", "(also --max-rate)") — not "sh -c".
# Used by gen-completion.sh and by the man page consistency test
# (scripts/man-draft.py applies the same rule).
function add(o, v) {
	if (!(o in seen)) {
		seen[o] = 1
		order[++n_out] = o
	}
	if (v != "" && val[o] == "")
		val[o] = v
}

function spec(s,    f, n, i, v) {
	n = split(s, f, /[][ ,\/=():;'"]+/)
	for (i = n; i >= 1; i--) {
		if (f[i] !~ /^--[a-z0-9][a-z0-9-]*$/ && f[i] !~ /^-[A-Za-z0-9]$/)
			continue
		v = ""
		if (i < n && f[i + 1] ~ /^[A-Z][A-Z0-9_|.]*$/)
			v = f[i + 1]
		else if (f[i] ~ /^-[A-Za-z0-9]$/ && i < n && f[i + 1] ~ /^--/)
			v = last[f[i + 1]]
		last[f[i]] = v
		stack[++k] = f[i]
	}
	for (; k >= 1; k--)
		add(stack[k], last[stack[k]])
}

function description(s,    t) {
	s = " " s " "
	while (match(s, /[ (\/](--[a-z0-9][a-z0-9-]*|-[A-Za-z0-9])[ ,:)\/;]/)) {
		t = substr(s, RSTART, RLENGTH)
		if (substr(t, 1, 1) ~ /[(\/]/ || substr(t, RLENGTH, 1) ~ /[,:)\/]/)
			add(substr(t, 2, RLENGTH - 2), "")
		s = substr(s, RSTART + RLENGTH - 1)
	}
}

match($0, /^ +-/) && RLENGTH <= 9 {
	line = $0
	sub(/^ +/, "", line)
	nc = split(line, chunk, /   */)
	for (c = 1; c <= nc; c++) {
		if (chunk[c] ~ /^-/)
			spec(chunk[c])
		else
			description(chunk[c])
	}
}

END {
	for (i = 1; i <= n_out; i++)
		print (val[order[i]] == "" ? order[i] : order[i] " " val[order[i]])
}
