# enrichsim as a container: the simulated stack (`serve`) or one part (`mock lytics|ansira`, `runner`).
# docs/service.md explains the flags, the ready file and compose.yaml. Build: docker build -t enrichsim .
FROM python:3.12-slim
COPY . /src
RUN pip install --no-cache-dir /src && rm -rf /src && useradd --create-home enrichsim
USER enrichsim
WORKDIR /home/enrichsim
EXPOSE 8080 8081
# Liveness of mock Lytics on 8080 (GET /__admin/health needs no key); override it for a mock Ansira container.
HEALTHCHECK --interval=2s --timeout=2s --retries=15 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/__admin/health', timeout=2)"]
ENTRYPOINT ["enrichsim"]
# Keys come from the environment (docker run -e LYTICS_API_KEY=... -e ADMIN_KEY=... -e ANSIRA_CLIENT_SECRET=...):
# CI service containers cannot take a command, so the default one reads them.
CMD ["serve", "--host", "0.0.0.0", "--lytics-port", "8080", "--ansira-port", "8081", "--public-host", "enrichsim", \
     "--allow-http-host", "enrichsim", "--api-key-env", "LYTICS_API_KEY", "--admin-key-env", "ADMIN_KEY", \
     "--ansira-client-secret-env", "ANSIRA_CLIENT_SECRET", "--ready-file", "/home/enrichsim/stack.json"]
