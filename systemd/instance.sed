# instance.sed - turns consultd.service.in into consultd@.service, the template
# of one of several consultd processes on one host sharing server.listen
# (server.reuse_port), one per core. The instance name is the port of the
# process's own operations address on 127.0.0.1 (server.admin_listen), where its
# /metrics is scraped:
#   systemctl enable --now consultd@9101 consultd@9102
# Applied by "make install" after @BINDIR@ is filled in.
1c\
# consultd@.service - one of several consultd processes on this host sharing\
# server.listen (server.reuse_port), one per core. The instance name is the\
# port of the process's operations address on 127.0.0.1 (/metrics for it alone):\
#   systemctl enable --now consultd@9101 consultd@9102\
# Installed by "make install".
s|^Description=\(.*\)|Description=\1 (process %i)|
# systemd removes a unit's RuntimeDirectory when the unit stops, without
# counting the other units that name it: each process gets one of its own.
s|^RuntimeDirectory=consultd$|RuntimeDirectory=consultd/%i|
/^\[Service\]/a\
Environment=CONSULTD_SERVER_REUSE_PORT=true CONSULTD_SERVER_ADMIN_LISTEN=127.0.0.1:%i
