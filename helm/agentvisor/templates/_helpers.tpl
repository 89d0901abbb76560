{{/* Chart name, truncated to 63 characters (a DNS label). */}}
{{- define "agentvisor.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Prefix of every resource name: <release>-agentvisor (or the release name if it already says agentvisor). */}}
{{- define "agentvisor.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "agentvisor.operator.fullname" -}}
{{- printf "%s-operator" (include "agentvisor.fullname" .) }}
{{- end }}

{{- define "agentvisor.driver.fullname" -}}
{{- printf "%s-agent-driver" (include "agentvisor.fullname" .) }}
{{- end }}

{{- define "agentvisor.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "agentvisor.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: agentvisor
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Selector labels; component is "operator" or "agent-driver". Never change them: selectors are immutable. */}}
{{- define "agentvisor.selectorLabels" -}}
app.kubernetes.io/name: {{ include "agentvisor.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "agentvisor.image" -}}
{{- printf "%s:%s" .image.repository (default .root.Chart.AppVersion .image.tag) }}
{{- end }}

{{/* Comma-separated allowed image directories, as the operator reads them. */}}
{{- define "agentvisor.imageDirs" -}}
{{- $dirs := list }}
{{- range .Values.imageDirs }}{{ $dirs = append $dirs .path }}{{ end }}
{{- join "," $dirs }}
{{- end }}

{{/* The normalised default response timeout (a string: an integer or Block/Default/NoWait). */}}
{{- define "agentvisor.defaultResponseTimeout" -}}
{{- $t := .Values.defaults.agent.responseTimeout }}
{{- if kindIs "string" $t }}{{ $t }}{{ else }}{{ int64 $t }}{{ end }}
{{- end }}

{{/* Prometheus scrape annotations for a component's pods. */}}
{{- define "agentvisor.scrapeAnnotations" -}}
{{- if .Values.metrics.enabled }}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .Values.metrics.port | quote }}
prometheus.io/path: {{ .Values.metrics.path | quote }}
{{- end }}
{{- end }}

{{/* Fails rendering with a clear message on values the schema cannot express. */}}
{{- define "agentvisor.validate" -}}
{{- $seen := dict }}
{{- range .Values.imageDirs }}
{{- if or (eq (clean .path) "/") (hasKey $seen (clean .path)) }}
{{- fail (printf "imageDirs: %q is the host root or listed twice" .path) }}
{{- end }}
{{- $_ := set $seen (clean .path) true }}
{{- $kubelet := clean $.Values.agentDriver.kubeletRootDir }}
{{- if or (eq (clean .path) $kubelet) (hasPrefix (printf "%s/" $kubelet) (clean .path)) }}
{{- fail (printf "imageDirs: %q lies in the kubelet's root directory; use a directory of its own" .path) }}
{{- end }}
{{- if hasPrefix (printf "%s/" (clean .path)) $kubelet }}
{{- fail (printf "imageDirs: %q contains the kubelet's root directory (other pods' volumes); use a directory of its own" .path) }}
{{- end }}
{{- end }}
{{- end }}
