// The external system we do not own, in tests: the same recording server the demo uses.
export {
  startRecordingHttpServer as startFakeExternalSystem,
  type ReceivedCall,
  type RecordingHttpServer as FakeExternalSystem,
  type Responder,
} from '../../src/demo/recording-http-server.js';
