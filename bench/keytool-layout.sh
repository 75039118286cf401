#!/usr/bin/env bash
# The keytool recipe for the mutual-TLS layout that `jkstool init-pair DIR` makes (EC, PKCS12):
# a CA, two keys, two requests, two signings, the imports, two truststores.
#   bench/keytool-layout.sh DIR
set -euo pipefail
dir=${1:?usage: $0 DIR}
rm -rf "$dir" && mkdir -p "$dir"
cd "$dir"
pw=changeit
kt() { keytool "$@" -storepass "$pw" -keypass "$pw" >/dev/null 2>&1; }
kt -genkeypair -keystore ca.p12 -storetype pkcs12 -alias ca -keyalg EC -groupname secp256r1 -dname CN=CA \
   -validity 3650 -ext bc:c=ca:true -ext ku:c=keyCertSign,cRLSign
kt -exportcert -keystore ca.p12 -alias ca -rfc -file ca.pem
for side in server client; do
  kt -genkeypair -keystore $side.keystore.p12 -storetype pkcs12 -alias $side -keyalg EC -groupname secp256r1 \
     -dname CN=$side -validity 397
  kt -certreq -keystore $side.keystore.p12 -alias $side -file $side.csr
  eku=serverAuth; [ $side = client ] && eku=clientAuth
  kt -gencert -keystore ca.p12 -alias ca -infile $side.csr -outfile $side.crt -rfc -validity 397 \
     -ext eku=$eku -ext san=dns:localhost
  kt -importcert -noprompt -keystore $side.keystore.p12 -alias ca -file ca.pem
  kt -importcert -noprompt -keystore $side.keystore.p12 -alias $side -file $side.crt
  kt -importcert -noprompt -keystore $side.truststore.p12 -storetype pkcs12 -alias ca -file ca.pem
done
