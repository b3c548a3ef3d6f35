/**
 * The API's named schemas (OpenAPI components), each named once. The shapes themselves are the
 * shared contracts.
 */
import {
  Board,
  BoardCell,
  Deployment,
  Environment,
  HistoryEntry,
  Product,
  Release,
  ReleaseDetail,
  ReleaseVersion,
  Version,
} from '@shiplog/contracts'

import { named } from './openapi.ts'

export const BoardSchema = named(Board, 'Board')
export const CellSchema = named(BoardCell, 'BoardCell')
export const DeploymentSchema = named(Deployment, 'Deployment')
export const EnvironmentSchema = named(Environment, 'Environment')
export const HistoryEntrySchema = named(HistoryEntry, 'HistoryEntry')
export const ProductSchema = named(Product, 'Product')
export const ReleaseSchema = named(Release, 'Release')
export const ReleaseDetailSchema = named(ReleaseDetail, 'ReleaseDetail')
export const ReleaseVersionSchema = named(ReleaseVersion, 'ReleaseVersion')
export const VersionSchema = named(Version, 'Version')
