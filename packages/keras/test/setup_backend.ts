/** Registers rnnkit's cpu backend, as an application does before loading a model. */
import '@rnnkit/backend-cpu';
