// session: who the client is elevated as (the last elevation's answer) and the gateway's
// `token_expiring` notice about that token.
import { createSlice, type PayloadAction } from "@reduxjs/toolkit";
import type { ElevationData, TokenExpiring } from "../wire.js";
import { tokenExpiringPushed } from "./pushes.js";

export interface SessionState {
  user_id: string | null;
  guilds: Record<string, number>;
  expires_at: string | null;
  /** the notice about the current token; null once a token with another `exp` is in place */
  expiring: TokenExpiring | null;
}

const initialState: SessionState = { user_id: null, guilds: {}, expires_at: null, expiring: null };

/** ISO instants compared as instants: the gateway may write the same one two ways. */
export function sameInstant(a: string | null, b: string | null): boolean {
  return a !== null && b !== null && Date.parse(a) === Date.parse(b);
}

const slice = createSlice({
  name: "architus/session",
  initialState,
  reducers: {
    elevated(state, action: PayloadAction<ElevationData>) {
      const { user_id, guilds, expires_at } = action.payload;
      // the same `exp` again is the same expiry: the gateway does not tell it twice
      const kept = state.expiring && sameInstant(state.expiring.expires_at, expires_at);
      return { user_id, guilds, expires_at, expiring: kept ? state.expiring : null };
    },
    demoted() {
      return initialState;
    },
  },
  extraReducers: (builder) => {
    builder.addCase(tokenExpiringPushed, (state, action) => {
      // before the elevation is known it is about the connect's token: kept for it
      if (state.user_id !== null && !sameInstant(action.payload.expires_at, state.expires_at)) {
        return; // about a token already replaced
      }
      state.expiring = action.payload;
    });
  },
});

export const sessionActions = slice.actions;
export const sessionReducer = slice.reducer;
