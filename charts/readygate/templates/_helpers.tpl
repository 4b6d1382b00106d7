{{/* The chart's name, or nameOverride. */}}
{{- define "readygate.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Base name of every object: the release name when it contains the chart's name. */}}
{{- define "readygate.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "readygate.selectorLabels" -}}
app.kubernetes.io/name: {{ include "readygate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "readygate.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "readygate.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: readygate
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "readygate.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{- define "readygate.serviceName" -}}
{{- printf "%s-webhook" (include "readygate.fullname" .) }}
{{- end }}

{{- define "readygate.leaseName" -}}
{{- printf "%s-leader" (include "readygate.fullname" .) }}
{{- end }}

{{- define "readygate.tlsSecretName" -}}
{{- default (printf "%s-webhook-tls" (include "readygate.fullname" .)) .Values.webhook.tlsSecretName }}
{{- end }}
