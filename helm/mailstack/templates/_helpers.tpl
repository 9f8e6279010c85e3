{{/* Names: <release>-mailstack unless the release name already says mailstack. */}}
{{- define "mailstack.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "mailstack.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Selector labels of one component: (list $ "proxy") or (list $ "backend"). */}}
{{- define "mailstack.selector" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ $root.Chart.Name }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "mailstack.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{- define "mailstack.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}{{ .Values.serviceAccount.name | default (include "mailstack.fullname" .) }}{{- else -}}{{ .Values.serviceAccount.name | default "default" }}{{- end -}}
{{- end -}}

{{- define "mailstack.secretName" -}}
{{- .Values.secrets.existingSecret | default (printf "%s-secrets" (include "mailstack.fullname" .)) -}}
{{- end -}}

{{- define "mailstack.tlsSecretName" -}}
{{- .Values.tls.existingSecret | default (printf "%s-tls" (include "mailstack.fullname" .)) -}}
{{- end -}}

{{- define "mailstack.hasTls" -}}
{{- if or .Values.tls.existingSecret .Values.tls.selfSigned -}}true{{- end -}}
{{- end -}}

{{- define "mailstack.usesFileDirectory" -}}
{{- if eq ((.Values.config.directory | default dict).type | default "file") "file" -}}true{{- end -}}
{{- end -}}

{{- define "mailstack.redisUrl" -}}
{{- if .Values.redis.url -}}{{ .Values.redis.url }}{{- else if .Values.redis.deploy -}}{{ printf "redis://%s-redis:6379/0" (include "mailstack.fullname" .) }}{{- end -}}
{{- end -}}

{{- define "mailstack.backendService" -}}
{{- printf "%s-backend" (include "mailstack.fullname" .) -}}
{{- end -}}

{{/* A site's StatefulSet name: (list $ $site). Checks the site name once, where every template gets it. */}}
{{- define "mailstack.siteName" -}}
{{- $root := index . 0 -}}{{- $site := index . 1 -}}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" ($site.name | default "")) -}}
{{- fail (printf "backends.sites: name %q must be a DNS label (lower case letters, digits, -)" ($site.name | default "")) -}}
{{- end -}}
{{- $n := printf "%s-%s" (include "mailstack.fullname" $root) $site.name -}}
{{- if gt (len $n) 52 -}}{{- fail (printf "backends.sites: %q is too long for a StatefulSet name (52)" $n) -}}{{- end -}}
{{- $n -}}
{{- end -}}

{{/* The stable DNS name of a site's backend pod: (list $ $site). */}}
{{- define "mailstack.backendHost" -}}
{{- $root := index . 0 -}}
{{- printf "%s-0.%s.%s.svc.%s" (include "mailstack.siteName" .) (include "mailstack.backendService" $root) $root.Release.Namespace $root.Values.clusterDomain -}}
{{- end -}}

{{/* The home server name of a site: its homeServer, or its stable DNS name. */}}
{{- define "mailstack.homeServer" -}}
{{- $site := index . 1 -}}
{{- $site.homeServer | default (include "mailstack.backendHost" .) -}}
{{- end -}}

{{/*
Deep merge of a map into another, in place: (list $dst $src). Unlike sprig's mergeOverwrite, a
null or false in $src does override (imap.tlsPort: null must win over a default port).
*/}}
{{- define "mailstack.merge" -}}
{{- $dst := index . 0 -}}{{- $src := index . 1 -}}
{{- range $k, $v := $src -}}
{{- if and (kindIs "map" $v) (kindIs "map" (index $dst $k)) -}}
{{- include "mailstack.merge" (list (index $dst $k) $v) -}}
{{- else if kindIs "map" $v -}}
{{- $_ := set $dst $k (deepCopy $v) -}}
{{- else -}}
{{- $_ := set $dst $k $v -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Keys every node gets from the chart (paths inside the pod, TLS files, Redis). */}}
{{- define "mailstack.commonOwned" -}}
{{- $owned := dict "node" (dict "dataDir" "/var/lib/mailnode") -}}
{{- $_ := set $owned "http" (dict "host" "0.0.0.0" "port" (int .Values.ports.http)) -}}
{{- $_ := set $owned "sasl" (dict "socket" false) -}}
{{- /* The admin API stays on loopback (config admin.host): mailctl runs in the pod (kubectl exec). */ -}}
{{- $_ := set $owned "admin" (dict "port" (int .Values.ports.admin) "apiKeyFile" "/etc/mailnode/admin/api.key") -}}
{{- if include "mailstack.hasTls" . -}}
{{- $_ := set $owned "tls" (dict "cert" "/etc/mailnode/tls/tls.crt" "key" "/etc/mailnode/tls/tls.key") -}}
{{- end -}}
{{- if include "mailstack.usesFileDirectory" . -}}
{{- $_ := set $owned "directory" (dict "path" "/etc/mailnode/users/users.yaml") -}}
{{- end -}}
{{- $redis := include "mailstack.redisUrl" . -}}
{{- if $redis -}}
{{- /* One Redis for the auth cache, session registry and quota-warning jobs (config section redis). */ -}}
{{- $_ := set $owned "redis" (dict "url" $redis "prefix" .Values.redis.prefix) -}}
{{- end -}}
{{- toYaml $owned -}}
{{- end -}}

{{/* The backend config of one site (mailnode.yaml): (list $ $site). */}}
{{- define "mailstack.backendConfig" -}}
{{- $root := index . 0 -}}{{- $site := index . 1 -}}
{{- $p := $root.Values.ports -}}
{{- $cfg := dict -}}
{{- include "mailstack.merge" (list $cfg ($root.Values.config | default dict)) -}}
{{- include "mailstack.merge" (list $cfg ($root.Values.backends.config | default dict)) -}}
{{- include "mailstack.merge" (list $cfg ($site.config | default dict)) -}}
{{- include "mailstack.merge" (list $cfg (include "mailstack.commonOwned" $root | fromYaml)) -}}
{{- $nets := $root.Values.podNetworks -}}
{{- $owned := dict
  "node" (dict "hostname" (include "mailstack.homeServer" .))
  "storage" (dict "mailRoot" "/var/lib/mailnode/mail")
  "imap" (dict "host" "0.0.0.0" "port" (int $p.imap) "tlsPort" nil)
  "pop3" (dict "host" "0.0.0.0" "port" (int $p.pop3) "tlsPort" nil)
  "managesieve" (dict "host" "0.0.0.0" "port" (int $p.sieve))
  "lmtp" (dict "host" "0.0.0.0" "port" (int $p.lmtp) "socket" false)
  "quotaStatus" (dict "host" "0.0.0.0" "port" (int $p.quotaStatus))
  "sasl" (dict "trustedNetworks" $nets "masterNetworks" $nets) -}}
{{- include "mailstack.merge" (list $cfg $owned) -}}
{{- toYaml $cfg -}}
{{- end -}}

{{/* home server name -> backend host:port, for one protocol port: (list $ port). */}}
{{- define "mailstack.backendMap" -}}
{{- $root := index . 0 -}}{{- $port := index . 1 -}}
{{- $m := dict -}}
{{- range $site := $root.Values.backends.sites -}}
{{- $addr := printf "%s:%d" (include "mailstack.backendHost" (list $root $site)) (int $port) -}}
{{- $_ := set $m (include "mailstack.homeServer" (list $root $site)) $addr -}}
{{- range $a := ($site.aliases | default list) -}}{{- $_ := set $m $a $addr -}}{{- end -}}
{{- end -}}
{{- toYaml $m -}}
{{- end -}}

{{/* The proxy config (mailnode.yaml of services/proxy). */}}
{{- define "mailstack.proxyConfig" -}}
{{- $p := .Values.ports -}}{{- $on := .Values.proxy.protocols -}}
{{- $cfg := dict -}}
{{- include "mailstack.merge" (list $cfg (.Values.config | default dict)) -}}
{{- include "mailstack.merge" (list $cfg (.Values.proxy.config | default dict)) -}}
{{- include "mailstack.merge" (list $cfg (include "mailstack.commonOwned" . | fromYaml)) -}}
{{- $proxy := dict "host" "0.0.0.0"
  "imapPort" (ternary (int $p.imap) nil $on.imap)
  "imapTlsPort" (ternary (int $p.imaps) nil $on.imaps)
  "pop3Port" (ternary (int $p.pop3) nil $on.pop3)
  "pop3TlsPort" (ternary (int $p.pop3s) nil $on.pop3s)
  "sievePort" (ternary (int $p.sieve) nil $on.sieve)
  "backends" (include "mailstack.backendMap" (list . $p.imap) | fromYaml)
  "pop3Backends" (include "mailstack.backendMap" (list . $p.pop3) | fromYaml)
  "sieveBackends" (include "mailstack.backendMap" (list . $p.sieve) | fromYaml)
  "lmtpPort" (int $p.lmtp)
  "lmtpBackends" (include "mailstack.backendMap" (list . $p.lmtp) | fromYaml)
  "masterUser" .Values.secrets.masterUser -}}
{{- /* The proxies' LMTP is proxy.lmtpPort (split by home server); the lmtp section is the backends' server. */ -}}
{{- $owned := dict "proxy" $proxy
  "lmtp" (dict "port" nil "socket" false)
  "quotaStatus" (dict "host" "0.0.0.0" "port" (int $p.quotaStatus)) -}}
{{- include "mailstack.merge" (list $cfg $owned) -}}
{{- toYaml $cfg -}}
{{- end -}}

{{/* Secret environment of a component: (list $ "proxy"|"backend"). Values stay in the Secret. */}}
{{- define "mailstack.secretEnv" -}}
{{- $root := index . 0 -}}{{- $component := index . 1 -}}
{{- $secret := include "mailstack.secretName" $root -}}
- name: MAIL_AUTH__CACHESECRET
  valueFrom: {secretKeyRef: {name: {{ $secret }}, key: auth-cache-secret}}
- name: MAILCTL_API_KEY
  valueFrom: {secretKeyRef: {name: {{ $secret }}, key: admin-api-key}}
{{- if not (include "mailstack.usesFileDirectory" $root) }}
- name: MAIL_DIRECTORY__LDAPBINDPASSWORD
  valueFrom: {secretKeyRef: {name: {{ $secret }}, key: ldap-bind-password}}
{{- end }}
{{- if eq $component "proxy" }}
- name: MAIL_PROXY__MASTERPASSWORD
  valueFrom: {secretKeyRef: {name: {{ $secret }}, key: master-password}}
{{- else }}
- name: MAIL_SASL__MASTERUSERS__{{ $root.Values.secrets.masterUser }}
  valueFrom: {secretKeyRef: {name: {{ $secret }}, key: master-password-hash}}
{{- end }}
{{- end -}}

{{/* Probes on the node's HTTP port (/healthz/live, /healthz/ready). */}}
{{- define "mailstack.probes" -}}
startupProbe:
  httpGet: {path: /healthz/live, port: http}
  periodSeconds: 2
  failureThreshold: 60
livenessProbe:
  httpGet: {path: /healthz/live, port: http}
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 3
readinessProbe:
  httpGet: {path: /healthz/ready, port: http}
  periodSeconds: 5
  timeoutSeconds: 3
  failureThreshold: 2
{{- end -}}

{{- define "mailstack.podAnnotations" -}}
{{- if .Values.metrics.annotations }}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .Values.ports.http | quote }}
prometheus.io/path: /metrics
{{- end }}
{{- end -}}

{{/* Checks that hold for the whole release. */}}
{{- define "mailstack.validate" -}}
{{- if not (regexMatch "^[A-Za-z0-9][A-Za-z0-9.-]{0,63}$" .Values.secrets.masterUser) -}}
{{- fail "secrets.masterUser: letters, digits, . and - only (it becomes part of an environment variable name)" -}}
{{- end -}}
{{- if eq (len .Values.backends.sites) 0 -}}{{- fail "backends.sites: at least one backend is needed" -}}{{- end -}}
{{- $homes := dict -}}
{{- range $site := .Values.backends.sites -}}
{{- range $h := prepend ($site.aliases | default list) (include "mailstack.homeServer" (list $ $site)) -}}
{{- if hasKey $homes $h -}}{{- fail (printf "backends.sites: home server %q is used twice" $h) -}}{{- end -}}
{{- $_ := set $homes $h true -}}
{{- end -}}
{{- end -}}
{{- if and .Values.redis.url .Values.redis.deploy -}}{{- fail "redis: give either url (external) or deploy: true, not both" -}}{{- end -}}
{{- if and .Values.loadtest.enabled (gt (int .Values.loadtest.workers) 1) (not (include "mailstack.redisUrl" .)) -}}
{{- fail "loadtest.workers > 1 needs Redis to coordinate the run (redis.url or redis.deploy)" -}}
{{- end -}}
{{- end -}}
