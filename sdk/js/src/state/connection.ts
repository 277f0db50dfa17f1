// connection: the socket's status, as the UI shows it.
import { createSlice, type PayloadAction } from "@reduxjs/toolkit";

export type ConnectionStatus = "disconnected" | "connecting" | "connected" | "reconnecting";

export interface ConnectionState {
  status: ConnectionStatus;
  /** the gateway node in use (or being connected to) */
  url: string | null;
  /** "websocket" or "polling" once connected */
  transport: string | null;
  lastError: string | null;
  /** a `reconnect` notice's window (ms) while the node this client uses drains, else null */
  drainingWithinMs: number | null;
}

const initialState: ConnectionState = {
  status: "disconnected",
  url: null,
  transport: null,
  lastError: null,
  drainingWithinMs: null,
};

const slice = createSlice({
  name: "architus/connection",
  initialState,
  reducers: {
    changed(
      state,
      action: PayloadAction<{
        status: ConnectionStatus;
        url?: string | null;
        transport?: string | null;
      }>,
    ) {
      const { status, url, transport } = action.payload;
      state.status = status;
      if (url !== undefined) state.url = url;
      state.transport = transport ?? null;
      if (status === "connected") {
        state.lastError = null;
        state.drainingWithinMs = null;
      }
    },
    failed(state, action: PayloadAction<string>) {
      state.lastError = action.payload;
    },
    draining(state, action: PayloadAction<number>) {
      state.drainingWithinMs = action.payload;
    },
  },
});

export const connectionActions = slice.actions;
export const connectionReducer = slice.reducer;
