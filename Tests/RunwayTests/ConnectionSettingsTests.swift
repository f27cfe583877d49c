import Foundation
import Logging
import Testing

@testable import Runway

@Suite("ConnectionSettings.validate")
struct ConnectionSettingsTests {
    @Test(
        "an unparsable --url is rejected without echoing its password",
        arguments: [
            "postgresql://app:hunter2@db/x?nosuchparam=1", "host=db password=hunter2 bogus",
            "postgresql://app:hunter2@db:notaport/x",
        ])
    func unparsable(url: String) {
        var settings = ConnectionSettings()
        settings.url = url
        let error = #expect(throws: RunwayError.self) { try settings.validate() }
        #expect(error?.message.contains("hunter2") == false)
        #expect(error?.message.contains("url") == true)
    }
}
