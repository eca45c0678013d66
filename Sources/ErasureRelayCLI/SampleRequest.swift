import ArgumentParser
import ErasureRelay
import ErasureRelaySandboxBridge
import Kafka
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import VendorSandbox

enum SampleRequest {
    static let json = """
        {"request_id":"sample-1","regulation":"gdpr","submitted_at":"2026-11-22T10:00:00Z",\
        "subject":{"external_id":"u-123","email":"a@example.com","engagelab_registration_ids":["reg-1"]}}
        """
}
